package io.switchboard.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Records events from any thread and lets a test take them one by one, in arrival order, each within a
 * timeout; fails on any event the test did not take: {@link #assertNoMore(Duration)} watches for late
 * extras, and {@link #close()} fails on leftovers (use it in try-with-resources). Adapt a listener
 * interface by forwarding each callback to {@link #accept} as a record of your own.
 *
 * <p>Thread-safe: events may arrive on any thread; one test thread takes them.
 */
public final class RecordingListener<T> implements Consumer<T>, AutoCloseable {
    /** The timeout of {@link #next()} and {@link #await(int)} unless given. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    private final Duration timeout;
    /** Recorded and not yet taken. */
    private final BlockingQueue<T> pending = new LinkedBlockingQueue<>();
    /** Everything recorded, taken or not, in arrival order. */
    private final List<T> all = new CopyOnWriteArrayList<>();

    public RecordingListener() {
        this(DEFAULT_TIMEOUT);
    }

    public RecordingListener(Duration timeout) {
        this.timeout = timeout;
    }

    /** Records one event; null is not an event. */
    @Override
    public void accept(T event) {
        if (event == null) {
            throw new NullPointerException("event");
        }
        all.add(event);
        pending.add(event);
    }

    /** The next event, failing when none arrives within the default timeout. */
    public T next() {
        return next(timeout);
    }

    /** The next event, failing when none arrives within {@code within}. */
    public T next(Duration within) {
        T event = poll(within);
        if (event == null) {
            throw new AssertionError("no event within " + within + "; recorded so far: " + all);
        }
        return event;
    }

    /** The next event, which must be a {@code type}. */
    public <E extends T> E next(Class<E> type) {
        T event = next();
        if (!type.isInstance(event)) {
            throw new AssertionError("expected a " + type.getSimpleName() + " but the next event was " + event);
        }
        return type.cast(event);
    }

    /** The next {@code count} events in order, all within the default timeout. */
    public List<T> await(int count) {
        return await(count, timeout);
    }

    /** The next {@code count} events in order, all within {@code within} (one deadline for all). */
    public List<T> await(int count, Duration within) {
        List<T> events = new ArrayList<>(count);
        long deadline = System.nanoTime() + within.toNanos();
        while (events.size() < count) {
            T event = poll(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            if (event == null) {
                throw new AssertionError("only " + events.size() + " of " + count + " events within " + within
                        + ": " + events);
            }
            events.add(event);
        }
        return events;
    }

    /** Fails if an event is waiting now that the test has not taken. */
    public void assertNoMore() {
        T extra = pending.peek();
        if (extra != null) {
            throw new AssertionError("unexpected event(s): " + new ArrayList<>(pending));
        }
    }

    /** Fails if an event is waiting or arrives within {@code quiet}; waits the whole {@code quiet} otherwise. */
    public void assertNoMore(Duration quiet) {
        assertNoMore();
        T extra = poll(quiet);
        if (extra != null) {
            throw new AssertionError("unexpected event within " + quiet + ": " + extra);
        }
    }

    /** Every event recorded so far, taken or not, in arrival order. */
    public List<T> all() {
        return List.copyOf(all);
    }

    /** Events recorded and not yet taken. */
    public int pendingCount() {
        return pending.size();
    }

    /** Fails if an event was recorded that the test has not taken. */
    @Override
    public void close() {
        assertNoMore();
    }

    private T poll(Duration within) {
        try {
            return pending.poll(within.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for an event", e);
        }
    }
}
