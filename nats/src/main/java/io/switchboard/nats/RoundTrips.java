package io.switchboard.nats;

import io.nats.client.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The PING/PONG round trips that confirm subscriptions, coalesced: every caller that arrives while a round
 * trip is queued shares it, so a burst of subscribes (a node joining many rooms at once) costs one round
 * trip, not one each. Thread-safe.
 *
 * <p>Why a round trip proves a subscription: the caller queued its SUB before calling {@link #next}, so
 * before the PING that {@code flush} queues; the server answers in order, so its PONG means it has the SUB.
 */
final class RoundTrips {
    private final Supplier<Connection> connection;
    private final Duration timeout;
    /** Runs the blocking {@code flush}: the broker's own thread. */
    private final Executor executor;
    private final Object lock = new Object();
    /** Callers waiting for the next round trip. Guarded by {@link #lock}. */
    private List<CompletableFuture<Void>> waiters = new ArrayList<>();
    /** A round trip is queued and has not taken its waiters yet. Guarded by {@link #lock}. */
    private boolean scheduled;
    /** Why every later call fails; null while open. Guarded by {@link #lock}. */
    private Throwable closedBy;

    RoundTrips(Supplier<Connection> connection, Duration timeout, Executor executor) {
        this.connection = connection;
        this.timeout = timeout;
        this.executor = executor;
    }

    /** Completes after the next round trip; fails if it times out or this is closed. */
    CompletionStage<Void> next() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        boolean schedule;
        synchronized (lock) {
            if (closedBy != null) {
                return CompletableFuture.failedStage(closedBy);
            }
            waiters.add(f);
            schedule = !scheduled;
            scheduled = true;
        }
        if (schedule) {
            executor.execute(this::run);
        }
        return f;
    }

    /** Fails the waiting callers and every later one with {@code cause}. */
    void close(Throwable cause) {
        List<CompletableFuture<Void>> batch;
        synchronized (lock) {
            closedBy = cause;
            batch = take();
        }
        batch.forEach(f -> f.completeExceptionally(cause));
    }

    private void run() {
        List<CompletableFuture<Void>> batch;
        synchronized (lock) {
            batch = take();
        }
        Connection c = connection.get();
        if (c == null) {
            // Lost meanwhile: the subscriptions stay wanted and are made on the next connection.
            batch.forEach(f -> f.complete(null));
            return;
        }
        try {
            c.flush(timeout);
            batch.forEach(f -> f.complete(null));
        } catch (TimeoutException | IllegalStateException e) {
            IllegalStateException failure = new IllegalStateException(
                    "NATS did not confirm the subscription within " + timeout.toMillis() + " ms", e);
            batch.forEach(f -> f.completeExceptionally(failure));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            IllegalStateException failure = new IllegalStateException("interrupted confirming the subscription", e);
            batch.forEach(f -> f.completeExceptionally(failure));
        }
    }

    /** Holds {@link #lock}. */
    private List<CompletableFuture<Void>> take() {
        List<CompletableFuture<Void>> batch = waiters;
        waiters = new ArrayList<>();
        scheduled = false;
        return batch;
    }
}
