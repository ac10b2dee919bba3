package io.switchboard.server.hooks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The events waiting for the webhook sender (or, with a spool, for the spool's thread to write them). Bounded at
 * {@code capacity}, overflow policy drop-oldest: the backend learns of the latest state, and every drop is counted;
 * one warning starts a streak of drops, one line ends it. {@link #offer} never blocks (event loops call it); one consumer thread takes batches. Thread-safe.
 */
final class EventQueue<E> {
    private static final Logger log = LoggerFactory.getLogger(EventQueue.class);

    private final int capacity;
    private final ConcurrentLinkedQueue<E> events = new ConcurrentLinkedQueue<>();
    /** Kept apart from the queue because its {@code size()} walks every node. */
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    /** Set by the first drop of a streak, cleared by {@link #endDropStreak}. */
    private final AtomicBoolean dropping = new AtomicBoolean();
    /** {@link #dropped} when the current streak began. */
    private volatile long droppedBeforeStreak;
    /** The consumer while it waits, so an offer can wake it; null otherwise. */
    private volatile Thread waiter;

    EventQueue(int capacity) {
        this.capacity = capacity;
    }

    /** Adds an event, dropping the oldest when full; returns the event dropped, or null. Never blocks. */
    E offer(E event) {
        events.offer(event);
        E oldest = null;
        if (size.incrementAndGet() > capacity && (oldest = events.poll()) != null) {
            size.decrementAndGet();
            long total = dropped.incrementAndGet();
            if (dropping.compareAndSet(false, true)) {
                droppedBeforeStreak = total - 1;
                log.warn("webhook queue full ({} events): dropping the oldest until the backend catches up", capacity);
            }
        }
        Thread t = waiter;
        if (t != null) {
            LockSupport.unpark(t);
        }
        return oldest;
    }

    /**
     * Waits for an event, then for up to {@code maxDelayNanos} more for others until there are {@code max}, and
     * takes up to {@code max}. Returns an empty list when {@code giveUp} says so while nothing is queued.
     * Consumer thread only.
     */
    List<E> take(int max, long maxDelayNanos, java.util.function.BooleanSupplier giveUp)
            throws InterruptedException {
        waiter = Thread.currentThread();
        try {
            while (size.get() == 0) {
                if (giveUp.getAsBoolean()) {
                    return List.of();
                }
                park(TimeUnit.MILLISECONDS.toNanos(100));
            }
            long deadline = System.nanoTime() + maxDelayNanos;
            long left;
            while (size.get() < max && !giveUp.getAsBoolean() && (left = deadline - System.nanoTime()) > 0) {
                park(left);
            }
        } finally {
            waiter = null;
        }
        List<E> batch = new ArrayList<>(Math.min(max, size.get()));
        E e;
        while (batch.size() < max && (e = events.poll()) != null) {
            size.decrementAndGet();
            batch.add(e);
        }
        return batch;
    }

    private static void park(long nanos) throws InterruptedException {
        LockSupport.parkNanos(nanos);
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }

    /** Called once the backend takes events again: ends a streak of drops with a line that counts them. */
    void endDropStreak() {
        if (dropping.get() && size.get() < capacity && dropping.compareAndSet(true, false)) {
            log.warn("webhook queue has room again; {} events were dropped", dropped.get() - droppedBeforeStreak);
        }
    }

    int size() {
        return size.get();
    }

    /** Events dropped since start. */
    long dropped() {
        return dropped.get();
    }
}
