package io.switchboard.core.hub;

import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The hub's own timer: gap checks, tail checks and republishing. Its thread starts on first use, so a
 * single node that never needs it never starts it. Tasks must not block: they only issue asynchronous
 * calls. Thread-safe.
 */
final class HubScheduler implements AutoCloseable {
    private ScheduledExecutorService executor;
    /** Set by {@link #close}; no thread is started after it. Guarded by {@code this}. */
    private boolean closed;

    /** @throws RejectedExecutionException once closed */
    void schedule(Runnable task, long delayNanos) {
        executor().schedule(task, delayNanos, TimeUnit.NANOSECONDS);
    }

    /** @throws RejectedExecutionException once closed */
    void scheduleWithFixedDelay(Runnable task, long delayNanos) {
        executor().scheduleWithFixedDelay(task, delayNanos, delayNanos, TimeUnit.NANOSECONDS);
    }

    private synchronized ScheduledExecutorService executor() {
        if (executor == null) {
            if (closed) {
                // A publish that failed as the broker closed must not start a thread nobody stops.
                throw new RejectedExecutionException("the hub is closed");
            }
            executor = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "switchboard-gap-check");
                t.setDaemon(true);
                return t;
            });
        }
        return executor;
    }

    /** Stops the thread; later calls are rejected. Idempotent. */
    @Override
    public void close() {
        ScheduledExecutorService s;
        synchronized (this) {
            closed = true;
            s = executor;
        }
        if (s != null) {
            s.shutdownNow();
        }
    }
}
