package io.switchboard.cli.bench;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Values recorded from any thread, read as one-second intervals (the progress line) and as the total of
 * everything recorded. Thread-safe: {@link #record} is wait-free; the readers synchronize on this.
 */
final class RecordedHistogram {
    private final Recorder recorder = new Recorder(3);
    private final Histogram total = new Histogram(3);
    private Histogram interval;

    /** Records a value of at least 1 (a zero would fall below the histogram's range). */
    void record(long value) {
        recorder.recordValue(Math.max(1, value));
    }

    /** What was recorded since the last call, which also goes into the total. */
    synchronized Histogram takeInterval() {
        interval = recorder.getIntervalHistogram(interval);
        total.add(interval);
        return interval;
    }

    /** Everything recorded so far. */
    synchronized Histogram total() {
        takeInterval();
        return total.copy();
    }
}
