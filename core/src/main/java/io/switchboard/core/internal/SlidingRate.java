package io.switchboard.core.internal;

/**
 * Events per second over a sliding window, from periodic samples of a monotonically growing total.
 * Thread-safe: one sampler thread, any number of readers (both synchronized; sampling is once a second).
 */
public final class SlidingRate {
    private final long[] totals;
    private final long[] times;
    /** Samples taken so far, saturating at the window length. */
    private int count;
    private int next;

    /** @param windowSamples samples kept; with one sample a second, the window in seconds */
    public SlidingRate(int windowSamples) {
        this.totals = new long[windowSamples + 1];
        this.times = new long[windowSamples + 1];
    }

    /** Records the running total at {@code nanoTime}. */
    public synchronized void sample(long nanoTime, long total) {
        totals[next] = total;
        times[next] = nanoTime;
        next = (next + 1) % totals.length;
        count = Math.min(count + 1, totals.length);
    }

    /** The average rate between the oldest and the newest sample, or 0 with fewer than two samples. */
    public synchronized double perSecond() {
        if (count < 2) {
            return 0;
        }
        int newest = (next - 1 + totals.length) % totals.length;
        int oldest = (next - count + totals.length) % totals.length;
        long dt = times[newest] - times[oldest];
        return dt <= 0 ? 0 : (totals[newest] - totals[oldest]) * 1e9 / dt;
    }
}
