package io.switchboard.core.hub;

import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The hub's timer: gap checks, tail checks and republishing. Either the executor the hub was given (tests
 * hand in one whose time they drive) or the hub's own thread, started on first use, so a single node that
 * never needs it never starts it. Tasks must not block: they only issue asynchronous calls. Thread-safe.
 */
final class HubScheduler implements AutoCloseable {
    /** Not shut down here when given: its owner does that. */
    private final boolean owned;
    private ScheduledExecutorService executor;
    /** Set by {@link #close}; no thread is started after it. Guarded by {@code this}. */
    private boolean closed;

    /** @param given the executor to run the tasks on; null: the hub's own thread */
    HubScheduler(ScheduledExecutorService given) {
        this.executor = given;
        this.owned = given == null;
    }

    /** @throws RejectedExecutionException once closed */
    void schedule(Runnable task, long delayNanos) {
        executor().schedule(task, delayNanos, TimeUnit.NANOSECONDS);
    }

    /** @throws RejectedExecutionException once closed */
    void scheduleWithFixedDelay(Runnable task, long delayNanos) {
        executor().scheduleWithFixedDelay(task, delayNanos, delayNanos, TimeUnit.NANOSECONDS);
    }

    private synchronized ScheduledExecutorService executor() {
        if (closed) {
            // A publish that failed as the broker closed must not start a thread nobody stops.
            throw new RejectedExecutionException("the hub is closed");
        }
        if (executor == null) {
            executor = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "switchboard-gap-check");
                t.setDaemon(true);
                return t;
            });
        }
        return executor;
    }

    /** Stops its own thread (a given executor stays with its owner); later calls are rejected. Idempotent. */
    @Override
    public void close() {
        ScheduledExecutorService s;
        synchronized (this) {
            closed = true;
            s = executor;
        }
        if (s != null && owned) {
            s.shutdownNow();
        }
    }
}
