package io.switchboard.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Samples a process's CPU ticks and the per-CPU busy counters every {@value #PERIOD_MILLIS} ms on a
 * daemon thread, so that CPU can be accounted over a window known only afterwards (the bench reports
 * its measured window as wall-clock instants). Thread-safe.
 */
final class CpuSampler {
    static final long PERIOD_MILLIS = 100;

    /** One reading. */
    record Sample(long epochMillis, long serverTicks, long[] cpuTimes) {
    }

    private final long pid;
    private final List<Sample> samples = new ArrayList<>();
    private final Periodic clock;

    CpuSampler(long pid) {
        this.pid = pid;
        take();
        clock = new Periodic("cpu-sampler", PERIOD_MILLIS, this::take);
    }

    private void take() {
        Sample s = new Sample(System.currentTimeMillis(), ProcStat.processTicks(pid), ProcStat.cpuTimes());
        synchronized (samples) {
            samples.add(s);
        }
    }

    /** Stops sampling after one last reading. */
    void stop() throws InterruptedException {
        clock.stop(1000);
        take();
    }

    /** The reading nearest to {@code epochMillis}. */
    Sample at(long epochMillis) {
        synchronized (samples) {
            Sample best = samples.get(0);
            for (Sample s : samples) {
                if (Math.abs(s.epochMillis() - epochMillis) < Math.abs(best.epochMillis() - epochMillis)) {
                    best = s;
                }
            }
            return best;
        }
    }
}
