package io.switchboard.testkit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that moves only when a test moves it: a monotonic nanosecond counter and a wall clock in
 * epoch milliseconds, advanced together by {@link #advance(Duration)}. The method names match
 * {@code TimeSource} in core ({@code nanoTime()}, {@code currentTimeMillis()}), so
 * {@code clock::nanoTime} fits wherever a time source is injected.
 *
 * <p>Both start at fixed, non-zero values by default, so code that treats 0 as "never" is caught and
 * runs are repeatable. Thread-safe: the code under test may read it from any thread.
 */
public final class ManualClock {
    /** Where {@link #nanoTime()} starts by default: far from zero, as on a real machine. */
    public static final long DEFAULT_START_NANOS = 1_000_000_000_000L;
    /** Where {@link #currentTimeMillis()} starts by default: 2023-11-14T22:13:20Z. */
    public static final long DEFAULT_START_EPOCH_MILLIS = 1_700_000_000_000L;

    /** Nanoseconds advanced since construction; the only mutable state. */
    private final AtomicLong elapsedNanos = new AtomicLong();
    private final long startNanos;
    private final long startEpochMillis;

    public ManualClock() {
        this(DEFAULT_START_NANOS, DEFAULT_START_EPOCH_MILLIS);
    }

    public ManualClock(long startNanos, long startEpochMillis) {
        this.startNanos = startNanos;
        this.startEpochMillis = startEpochMillis;
    }

    /** Monotonic nanoseconds: the start value plus everything advanced so far. */
    public long nanoTime() {
        return startNanos + elapsedNanos.get();
    }

    /** Wall-clock milliseconds since the epoch: moves with {@link #nanoTime()}, truncated to whole ms. */
    public long currentTimeMillis() {
        return startEpochMillis + elapsedNanos.get() / 1_000_000L;
    }

    /** Same as {@link #currentTimeMillis()}. */
    public long millis() {
        return currentTimeMillis();
    }

    /** The time advanced since construction. */
    public Duration elapsed() {
        return Duration.ofNanos(elapsedNanos.get());
    }

    /** Moves both clocks forward by {@code by}; returns the new {@link #nanoTime()}. */
    public long advance(Duration by) {
        return advanceNanos(by.toNanos());
    }

    /** Moves both clocks forward by {@code nanos}; returns the new {@link #nanoTime()}. */
    public long advanceNanos(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("time only moves forward: " + nanos + " ns");
        }
        return startNanos + elapsedNanos.addAndGet(nanos);
    }

    /**
     * Moves the clock forward to {@code nanoTime} if it is later than now; never backwards. Returns
     * the new {@link #nanoTime()}.
     */
    public long advanceTo(long nanoTime) {
        long target = nanoTime - startNanos;
        return startNanos + elapsedNanos.accumulateAndGet(target, Math::max);
    }

    @Override
    public String toString() {
        return "ManualClock[elapsed=" + elapsed() + "]";
    }
}
