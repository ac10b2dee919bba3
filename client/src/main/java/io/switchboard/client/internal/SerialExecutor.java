package io.switchboard.client.internal;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs tasks one at a time, in submission order, on a delegate executor: how one client's
 * callbacks stay ordered and non-concurrent on a shared pool. A task that throws is reported to
 * {@code System.err} and does not stop the ones after it.
 *
 * <p>Thread-safe.
 */
final class SerialExecutor implements Executor {
    private final Executor delegate;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** Guards the single drain loop: true while one is scheduled or running. */
    private final AtomicBoolean draining = new AtomicBoolean();

    SerialExecutor(Executor delegate) {
        this.delegate = delegate;
    }

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
        if (draining.compareAndSet(false, true)) {
            delegate.execute(this::drain);
        }
    }

    private void drain() {
        do {
            Runnable task;
            while ((task = tasks.poll()) != null) {
                try {
                    task.run();
                } catch (Throwable t) {
                    System.err.println("switchboard-client: callback failed: " + t);
                    t.printStackTrace();
                }
            }
            draining.set(false);
            // A task added after the poll above and before the set() found draining=true and left it to us.
        } while (!tasks.isEmpty() && draining.compareAndSet(false, true));
    }
}
