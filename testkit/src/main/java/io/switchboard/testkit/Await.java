package io.switchboard.testkit;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Bounded waits for what another thread or process makes true: poll briefly, fail with a message that
 * says what was awaited, never sleep a guess. Where the code under test takes a scheduler or a clock,
 * drive it with {@link ManualScheduler} instead of waiting. Stateless; callable from any thread.
 */
public final class Await {
    /** The bound of {@link #until(String, BooleanSupplier)}. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    private static final long POLL_MILLIS = 5;
    /** Between retries of a failed call: a backend that refuses is not hammered. */
    private static final long RETRY_MILLIS = 100;

    private Await() {
    }

    /** Waits until {@code condition} holds, failing after {@link #DEFAULT_TIMEOUT}. */
    public static void until(String what, BooleanSupplier condition) {
        until(what, DEFAULT_TIMEOUT, condition);
    }

    /**
     * Waits until {@code condition} holds, failing with "not within {timeout}: {what}" after
     * {@code timeout}. The condition is evaluated at least once, also with a zero timeout.
     */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            pause(POLL_MILLIS, what);
        }
    }

    /**
     * Retries {@code call} until its stage completes normally and returns its value; fails after
     * {@code timeout} with the last failure as the cause.
     */
    public static <T> T succeeds(String what, Duration timeout, Callable<? extends CompletionStage<T>> call)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Throwable last = null;
        while (System.nanoTime() - deadline < 0) {
            try {
                return call.call().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                last = e.getCause();
            }
            pause(RETRY_MILLIS, what);
        }
        throw new AssertionError("not within " + timeout + ": " + what, last);
    }

    /** The value of {@code stage}, waiting up to {@code timeout}; its failure is rethrown as the cause. */
    public static <T> T get(CompletionStage<T> stage, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        return stage.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static void pause(long millis, String what) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for: " + what, e);
        }
    }
}
