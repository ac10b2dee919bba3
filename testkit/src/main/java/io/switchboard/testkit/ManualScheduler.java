package io.switchboard.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link ScheduledExecutorService} on a {@link ManualClock}: nothing runs until the test calls
 * {@link #advance(Duration)} or {@link #runDue()}, and then the tasks that are due run on the calling
 * thread, one at a time, in the order of their time (ties in the order they were scheduled), with the
 * clock set to each task's time while it runs. A test drives time instead of sleeping, and every run is
 * the same.
 *
 * <p>Semantics follow {@link java.util.concurrent.ScheduledThreadPoolExecutor} with its default
 * policies: {@link #execute} and {@code submit} run at the current time (on the next
 * {@code runDue}/{@code advance}); a fixed-rate task's next time is its previous time plus the
 * period, so a long {@code advance} runs it once per period passed; a fixed-delay task's next time is
 * the clock after its run plus the delay; a periodic task that throws is not run again and its future
 * fails; {@link #shutdown()} rejects new tasks, drops periodic ones and keeps delayed one-shot tasks,
 * which still run when time passes; {@link #shutdownNow()} drops everything. A task that throws does
 * not stop the others: its exception goes into its future and into {@link #failures()}.
 *
 * <p>Blocking calls do not wait for time to pass, since only the test moves it: {@code invokeAll}
 * and {@code invokeAny} run due tasks on the calling thread, and {@link #awaitTermination} returns
 * at once. A future's {@code get} waits in real time for another thread to run the task.
 *
 * <p>Thread-safe: tasks may be scheduled and cancelled from any thread, including from a running
 * task. Runs happen only on the thread calling {@code advance}/{@code runDue}, never two at once.
 */
public final class ManualScheduler implements ScheduledExecutorService {
    private final ManualClock clock;
    /** Due order: time, then the order of scheduling. Guarded by {@code this}, as are the fields below. */
    private final PriorityQueue<Task<?>> queue =
            new PriorityQueue<>(Comparator.<Task<?>>comparingLong(t -> t.time).thenComparingLong(t -> t.sequence));
    private final List<Throwable> failures = new ArrayList<>();
    private long nextSequence;
    private boolean shutdown;
    /** True while a task runs: {@code advance} from inside a task would break the time order. */
    private boolean running;

    /** A scheduler on a clock of its own. */
    public ManualScheduler() {
        this(new ManualClock());
    }

    /** A scheduler on {@code clock}; the clock may also be advanced directly, which makes tasks due. */
    public ManualScheduler(ManualClock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public ManualClock clock() {
        return clock;
    }

    // ---------------------------------------------------------------- driving time

    /**
     * Runs every task due within {@code by} from now, in time order, the clock set to each task's time
     * while it runs (tasks they schedule within the window run too), then sets the clock to now +
     * {@code by}. Returns the number of task runs.
     *
     * @throws IllegalStateException when called from a running task
     */
    public int advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("time only moves forward: " + by);
        }
        long target = clock.nanoTime() + by.toNanos();
        int runs = runUntil(target);
        clock.advanceTo(target);
        return runs;
    }

    /** Runs the tasks due now (and those they schedule for now) without moving the clock. */
    public int runDue() {
        return runUntil(clock.nanoTime());
    }

    /**
     * Advances to the next pending task's time and runs what is due then; returns false (and does not
     * move the clock) when nothing is pending.
     */
    public boolean runNext() {
        Long next = nextTime();
        if (next == null) {
            return false;
        }
        runUntil(Math.max(next, clock.nanoTime()));
        return true;
    }

    /** The time until the next pending task (zero when one is due), or null when none is pending. */
    public synchronized Duration nextDelay() {
        Task<?> head = queue.peek();
        return head == null ? null : Duration.ofNanos(Math.max(0, head.time - clock.nanoTime()));
    }

    /** Tasks waiting to run, periodic ones counted once. */
    public synchronized int pendingTasks() {
        return queue.size();
    }

    /** Exceptions thrown by tasks so far, in the order they were thrown. */
    public synchronized List<Throwable> failures() {
        return List.copyOf(failures);
    }

    private synchronized Long nextTime() {
        Task<?> head = queue.peek();
        return head == null ? null : head.time;
    }

    private int runUntil(long target) {
        synchronized (this) {
            if (running) {
                throw new IllegalStateException("advance/runDue called from a running task");
            }
            running = true;
        }
        int runs = 0;
        try {
            Task<?> task;
            while ((task = pollDue(target)) != null) {
                clock.advanceTo(task.time);
                task.runOnce();
                runs++;
            }
        } finally {
            synchronized (this) {
                running = false;
                notifyAll();
            }
        }
        return runs;
    }

    private synchronized Task<?> pollDue(long target) {
        Task<?> head = queue.peek();
        if (head == null || head.time - target > 0) {
            return null;
        }
        return queue.poll();
    }

    /** Puts a periodic task back after a run; after {@link #shutdown()} it is cancelled instead. */
    private void requeue(Task<?> task) {
        boolean drop;
        synchronized (this) {
            drop = shutdown;
            if (!drop && !task.isDone()) {
                queue.add(task);
            }
        }
        if (drop) {
            task.cancel(false);
        }
    }

    private synchronized void recordFailure(Throwable t) {
        failures.add(t);
    }

    private synchronized void remove(Task<?> task) {
        queue.remove(task);
    }

    private synchronized <V> Task<V> enqueue(Callable<V> callable, long delayNanos, long periodNanos) {
        if (shutdown) {
            throw new RejectedExecutionException("the scheduler is shut down");
        }
        long now = clock.nanoTime();
        long delay = Math.max(0, delayNanos);
        long time = delay > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + delay; // "never", without overflow
        Task<V> task = new Task<>(callable, time, periodNanos, nextSequence++);
        queue.add(task);
        return task;
    }

    // ---------------------------------------------------------------- ScheduledExecutorService

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        return enqueue(Executors.callable(Objects.requireNonNull(command, "command"), null), unit.toNanos(delay), 0);
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        return enqueue(Objects.requireNonNull(callable, "callable"), unit.toNanos(delay), 0);
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        if (period <= 0) {
            throw new IllegalArgumentException("period must be > 0: " + period);
        }
        return enqueue(Executors.callable(Objects.requireNonNull(command, "command"), null),
                unit.toNanos(initialDelay), unit.toNanos(period));
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        if (delay <= 0) {
            throw new IllegalArgumentException("delay must be > 0: " + delay);
        }
        return enqueue(Executors.callable(Objects.requireNonNull(command, "command"), null),
                unit.toNanos(initialDelay), -unit.toNanos(delay));
    }

    /** Queues {@code command} at the current time: it runs on the next {@link #runDue()} or {@link #advance}. */
    @Override
    public void execute(Runnable command) {
        schedule(command, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public <T> Future<T> submit(Callable<T> task) {
        return schedule(task, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public <T> Future<T> submit(Runnable task, T result) {
        return schedule(Executors.callable(Objects.requireNonNull(task, "task"), result), 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public Future<?> submit(Runnable task) {
        return schedule(task, 0, TimeUnit.NANOSECONDS);
    }

    /** Submits every task and runs what is due now on the calling thread; the futures are then done. */
    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks) {
        List<Future<T>> futures = new ArrayList<>(tasks.size());
        for (Callable<T> task : tasks) {
            futures.add(submit(task));
        }
        runDue();
        return futures;
    }

    /** As {@link #invokeAll(Collection)}: time does not pass, so the timeout never expires. */
    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit) {
        return invokeAll(tasks);
    }

    /** Runs the tasks on the calling thread, in order, and returns the first result that is not a failure. */
    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks) throws ExecutionException {
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("no tasks");
        }
        synchronized (this) {
            if (shutdown) {
                throw new RejectedExecutionException("the scheduler is shut down");
            }
        }
        ExecutionException last = null;
        for (Callable<T> task : tasks) {
            try {
                return task.call();
            } catch (Exception e) {
                last = new ExecutionException(e);
            }
        }
        throw last;
    }

    /** As {@link #invokeAny(Collection)}: time does not pass, so the timeout never expires. */
    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
            throws ExecutionException {
        return invokeAny(tasks);
    }

    /** Rejects new tasks and cancels periodic ones; delayed one-shot tasks stay and run as time passes. */
    @Override
    public void shutdown() {
        List<Task<?>> periodic = new ArrayList<>();
        synchronized (this) {
            shutdown = true;
            for (Task<?> t : queue) {
                if (t.period != 0) {
                    periodic.add(t);
                }
            }
        }
        periodic.forEach(t -> t.cancel(false));
    }

    /** Rejects new tasks and cancels every pending one; returns those that never ran. */
    @Override
    public List<Runnable> shutdownNow() {
        List<Runnable> neverRan = new ArrayList<>();
        List<Task<?>> pending;
        synchronized (this) {
            shutdown = true;
            pending = new ArrayList<>(queue);
            pending.sort(queue.comparator());
        }
        for (Task<?> t : pending) {
            if (!t.ranOnce) {
                neverRan.add(t);
            }
            t.cancel(false);
        }
        return neverRan;
    }

    @Override
    public synchronized boolean isShutdown() {
        return shutdown;
    }

    @Override
    public synchronized boolean isTerminated() {
        return shutdown && queue.isEmpty() && !running;
    }

    /** Returns {@link #isTerminated()} at once: pending tasks only run when the test advances time. */
    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return isTerminated();
    }

    @Override
    public synchronized String toString() {
        return "ManualScheduler[pending=" + queue.size() + ", shutdown=" + shutdown + ", " + clock + "]";
    }

    // ---------------------------------------------------------------- tasks

    /** One scheduled task and its future. Its state is guarded by itself. */
    private final class Task<V> implements ScheduledFuture<V>, Runnable {
        private final Callable<V> callable;
        /** 0: once; > 0: fixed rate; < 0: fixed delay of {@code -period}. */
        private final long period;
        private final long sequence;
        /** When it runs next, on the clock's nanoTime; written only by the running thread before requeue. */
        private volatile long time;
        private volatile boolean ranOnce;
        private boolean done;
        private boolean cancelled;
        private V result;
        private Throwable failure;

        Task(Callable<V> callable, long time, long period, long sequence) {
            this.callable = callable;
            this.time = time;
            this.period = period;
            this.sequence = sequence;
        }

        /** Runs the task now, as the scheduler does when it is due; {@link Runnable} for shutdownNow's list. */
        @Override
        public void run() {
            runOnce();
        }

        void runOnce() {
            synchronized (this) {
                if (done) {
                    return;
                }
            }
            ranOnce = true;
            V value;
            try {
                value = callable.call();
            } catch (Throwable t) {
                recordFailure(t);
                complete(null, t);
                return;
            }
            if (period == 0) {
                complete(value, null);
                return;
            }
            time = period > 0 ? time + period : clock.nanoTime() - period;
            requeue(this);
        }

        private synchronized void complete(V value, Throwable t) {
            if (!done) {
                done = true;
                result = value;
                failure = t;
                notifyAll();
            }
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            synchronized (this) {
                if (done) {
                    return false;
                }
                done = true;
                cancelled = true;
                notifyAll();
            }
            remove(this);
            return true;
        }

        @Override
        public synchronized boolean isCancelled() {
            return cancelled;
        }

        @Override
        public synchronized boolean isDone() {
            return done;
        }

        @Override
        public synchronized V get() throws InterruptedException, ExecutionException {
            while (!done) {
                wait();
            }
            return outcome();
        }

        @Override
        public synchronized V get(long timeout, TimeUnit unit)
                throws InterruptedException, ExecutionException, TimeoutException {
            long deadline = System.nanoTime() + unit.toNanos(timeout);
            while (!done) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TimeoutException("not run within " + timeout + " " + unit + " of real time; "
                            + "advance the scheduler's time to run it");
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return outcome();
        }

        private V outcome() throws ExecutionException {
            if (cancelled) {
                throw new CancellationException();
            }
            if (failure != null) {
                throw new ExecutionException(failure);
            }
            return result;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(time - clock.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            if (other == this) {
                return 0;
            }
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
        }

        @Override
        public String toString() {
            return "Task[in " + Duration.ofNanos(time - clock.nanoTime()) + (period == 0 ? "" : ", periodic")
                    + (cancelled ? ", cancelled" : done ? ", done" : "") + "]";
        }
    }
}
