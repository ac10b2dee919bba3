package io.switchboard.redis;

import io.switchboard.protocol.internal.Failures;
import java.time.Duration;
import io.netty.util.concurrent.EventExecutorGroup;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the first connection to Redis, retrying in the background with {@link RetryDelay} until it
 * succeeds or is closed; after that, Lettuce keeps the connection alive on its own.
 * Works for any Lettuce connection, standalone or cluster. Nothing here
 * blocks: attempts are asynchronous and retries are scheduled on the client's executor. Thread-safe.
 *
 * @param <C> what one successful attempt yields (one connection, or the broker's pair)
 */
final class Connector<C> {
    private static final Logger log = LoggerFactory.getLogger(Connector.class);

    private final String name;
    /** Runs the retries: the client's own threads. */
    private final EventExecutorGroup executor;
    private final Duration timeout;
    private final Supplier<CompletionStage<C>> attempt;
    private final Consumer<C> discard;
    /** Completes with the first connection, or exceptionally when closed before it. */
    private final CompletableFuture<C> connected = new CompletableFuture<>();
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile boolean closed;

    /**
     * @param name what connects, for logs
     * @param attempt one asynchronous connection attempt; it cleans up after itself when it fails
     * @param discard releases a connection that arrived after {@link #close()}
     */
    Connector(String name, EventExecutorGroup executor, Duration timeout, Supplier<CompletionStage<C>> attempt,
              Consumer<C> discard) {
        this.name = name;
        this.executor = executor;
        this.timeout = timeout;
        this.attempt = attempt;
        this.discard = discard;
    }

    /** Starts connecting; later calls do nothing. */
    void start() {
        if (started.compareAndSet(false, true)) {
            tryConnect(1);
        }
    }

    /** Completes once connected; fails only when closed first. */
    CompletableFuture<C> connected() {
        return connected;
    }

    /** The connection, or null before the first one was made. */
    C now() {
        return connected.getNow(null);
    }

    /**
     * The connection: at once when there is one; before the first, waits for it up to the command
     * timeout and then fails, so that callers starting up next to a slow Redis need not poll.
     */
    CompletableFuture<C> await() {
        C c = now();
        if (c != null) {
            return CompletableFuture.completedFuture(c);
        }
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException(name + " is closed"));
        }
        return connected.copy().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .exceptionallyCompose(e -> CompletableFuture.failedFuture(
                        new IllegalStateException(name + ": not connected to Redis yet", Failures.rootCause(e))));
    }

    /** Stops retrying and fails whoever waits for the first connection. Idempotent. */
    void close() {
        closed = true;
        connected.completeExceptionally(new IllegalStateException(name + " is closed"));
    }

    private void tryConnect(int n) {
        if (closed) {
            return;
        }
        CompletionStage<C> stage;
        try {
            stage = attempt.get();
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        stage.whenComplete((c, e) -> {
            if (e == null) {
                if (closed || !connected.complete(c)) {
                    discard.accept(c);
                } else if (n > 1) {
                    log.info("{}: connected after {} attempts", name, n);
                }
                return;
            }
            if (closed) {
                return;
            }
            Duration wait = RetryDelay.after(n);
            if (n == 1) {
                log.warn("{}: cannot connect ({}); retrying in the background every {} to {}",
                        name, describe(e), RetryDelay.MIN, RetryDelay.MAX);
            } else {
                log.debug("{}: attempt {} failed ({}); next in {} ms", name, n, describe(e), wait.toMillis());
            }
            schedule(() -> tryConnect(n + 1), wait);
        });
    }

    private void schedule(Runnable task, Duration wait) {
        try {
            executor.schedule(task, wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // Only after close, when the executor is shutting down: nothing left to retry for.
            log.debug("{}: retry not scheduled, the client is shutting down", name);
        }
    }

    /** One line for a log: the failure and, when it wraps one, the root cause. */
    static String describe(Throwable e) {
        Throwable outer = Failures.rootCause(e);
        Throwable root = outer;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == outer ? outer.toString() : outer.getMessage() + " (" + root + ")";
    }
}
