package io.switchboard.redis;

import static org.assertj.core.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Bounded waits for the fault tests: poll briefly, give up with a message. */
final class Await {
    private static final long POLL_MILLIS = 20;

    private Await() {
    }

    /** Waits until {@code condition} holds, failing after {@code max}. */
    static void until(Duration max, String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within %s: %s", max, what);
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /** Retries {@code call} until its stage completes normally, failing after {@code max}. */
    static <T> T succeeds(Duration max, String what, Callable<CompletionStage<T>> call) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        Throwable last = null;
        while (System.nanoTime() < deadline) {
            try {
                return call.call().toCompletableFuture().get(max.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                last = e.getCause();
            }
            Thread.sleep(POLL_MILLIS * 5);
        }
        throw new AssertionError("not within " + max + ": " + what, last);
    }

    /** Waits for {@code stage} up to {@code max}. */
    static <T> T get(CompletionStage<T> stage, Duration max) throws Exception {
        return stage.toCompletableFuture().get(max.toMillis(), TimeUnit.MILLISECONDS);
    }
}
