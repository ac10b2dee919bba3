package io.switchboard.core.internal;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Lets one log line through per interval and counts the ones it holds back. A backend that is down
 * under load fails thousands of calls a second; each failure's cause belongs in the log, but not
 * thousands of times. Thread-safe, lock-free.
 */
public final class LogLimiter {
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private final AtomicLong nextAllowed;
    private final AtomicLong held = new AtomicLong();

    public LogLimiter(Duration interval) {
        this(interval, System::nanoTime);
    }

    /** With {@code nanoClock} in place of {@link System#nanoTime()}. */
    public LogLimiter(Duration interval, LongSupplier nanoClock) {
        this.intervalNanos = interval.toNanos();
        this.nanoClock = nanoClock;
        this.nextAllowed = new AtomicLong(nanoClock.getAsLong());
    }

    /**
     * Whether a line may go out now: -1 when it is held back (and counted); otherwise how many lines were
     * held back since the last one that went out.
     */
    public long admit() {
        long now = nanoClock.getAsLong();
        long next = nextAllowed.get();
        if (now - next < 0 || !nextAllowed.compareAndSet(next, now + intervalNanos)) {
            held.incrementAndGet();
            return -1;
        }
        return held.getAndSet(0);
    }
}
