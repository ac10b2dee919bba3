package io.switchboard.server;

import java.util.function.BooleanSupplier;

/** Polls a condition that another thread makes true, failing after a bound instead of sleeping a guess. */
final class Await {
    private static final long DEFAULT_TIMEOUT_MILLIS = 5000;

    private Await() {
    }

    static void until(String what, BooleanSupplier condition) {
        until(what, DEFAULT_TIMEOUT_MILLIS, condition);
    }

    static void until(String what, long timeoutMillis, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeoutMillis + " ms: " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what, e);
            }
        }
    }
}
