package io.switchboard.core.hub;

/**
 * Adaptive flushing for one shard: how long a connection's fan-out frames may wait for more before its
 * socket is flushed, chosen from how much of the shard's time its flushes take.
 *
 * <p>A flush is one system call per socket, whatever it carries. When the loop is mostly idle, flushing
 * each connection as soon as the loop is free costs little and adds no latency, so the delay is 0. When
 * the flushes themselves eat the loop (1,000 sockets flushed for every publish is a million system calls
 * a second at 1,000 publishes/s), each connection is instead flushed at most once per delay, so every
 * system call carries every frame that arrived in it. The delay doubles while flushing takes more than
 * {@value #GATHER_ABOVE_PERCENT}% of a window, halves for each window below
 * {@value #RELAX_BELOW_PERCENT}%, and stays between 0 and {@code hub.maxFlushDelay}. The two thresholds
 * are far apart so that gathering (which lowers the share) does not at once undo itself. The share counts
 * only flush passes, so it does not grow with the interval: gathering makes passes rarer and cheaper.
 *
 * <p>Confined to the shard's thread. Time is the hub's, so tests drive it by hand.
 */
final class FlushPacer {
    static final long WINDOW_NANOS = 100_000_000L;
    static final int GATHER_ABOVE_PERCENT = 15;
    static final int RELAX_BELOW_PERCENT = 5;
    /** The first step up from flushing at once, and the least delay kept when relaxing. */
    static final long MIN_DELAY_NANOS = 500_000L;

    private final long maxDelayNanos;
    /** The delay in force; 0 flushes as soon as the loop is free. */
    private long delayNanos;
    /** Start of the current measuring window. */
    private long windowStart;
    /** Time spent in flush passes since {@link #windowStart}. */
    private long flushingNanos;

    FlushPacer(long maxDelayNanos, long now) {
        this.maxDelayNanos = maxDelayNanos;
        this.windowStart = now;
    }

    /** The delay in force: each connection is flushed at most once per this many nanoseconds (0: at once). */
    long delayNanos() {
        return delayNanos;
    }

    /** A flush pass ran from {@code start} to {@code end}; at the end of a window the delay is revised. */
    void passed(long start, long end) {
        flushingNanos += end - start;
        long elapsed = end - windowStart;
        if (elapsed < WINDOW_NANOS) {
            return;
        }
        if (flushingNanos * 100 > elapsed * GATHER_ABOVE_PERCENT) {
            delayNanos = Math.min(maxDelayNanos, Math.max(MIN_DELAY_NANOS, delayNanos * 2));
        } else if (flushingNanos * 100 < elapsed * RELAX_BELOW_PERCENT) {
            // A window with no pass at all (an idle loop) counts as relaxed too: one halving per window.
            long windows = elapsed / WINDOW_NANOS;
            delayNanos = windows >= 63 ? 0 : delayNanos >> windows;
            if (delayNanos < MIN_DELAY_NANOS) {
                delayNanos = 0;
            }
        }
        windowStart = end;
        flushingNanos = 0;
    }
}
