package io.switchboard.core.hub;

import io.switchboard.core.HubException;
import io.switchboard.core.guard.ClusterGuard;
import io.switchboard.core.internal.LogLimiter;
import io.switchboard.protocol.ErrorCode;
import io.switchboard.protocol.internal.Failures;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every call of the hub to the broker and the shared stores: behind the guard of each (deadline,
 * bulkhead, circuit breaker) when there is one, that is when the backend is remote. Thread-safe.
 */
final class BackendCalls {
    private static final Logger log = LoggerFactory.getLogger(BackendCalls.class);
    /**
     * Backend failures reach clients as {@code unavailable} without their cause; the log keeps one cause per
     * interval, for the operator, and the rest at debug.
     */
    private static final LogLimiter FAILURE_LOG = new LogLimiter(Duration.ofSeconds(10));

    private final ClusterGuard storeGuard;
    private final ClusterGuard brokerGuard;

    /** Either guard may be null: that backend is in memory. */
    BackendCalls(ClusterGuard storeGuard, ClusterGuard brokerGuard) {
        this.storeGuard = storeGuard;
        this.brokerGuard = brokerGuard;
    }

    /** The stores' circuit breaker is open: calls would fail fast. */
    boolean storeRefusing() {
        return storeGuard != null && storeGuard.isOpen();
    }

    /** The broker's circuit breaker is open. */
    boolean brokerRefusing() {
        return brokerGuard != null && brokerGuard.isOpen();
    }

    <T> CompletableFuture<T> store(Supplier<? extends CompletionStage<T>> call) {
        return guarded(storeGuard, call);
    }

    <T> CompletableFuture<T> broker(Supplier<? extends CompletionStage<T>> call) {
        return guarded(brokerGuard, call);
    }

    <T> CompletableFuture<T> storeOrThrow(Supplier<? extends CompletionStage<T>> call)
            throws HubException {
        return storeGuard == null ? call.get().toCompletableFuture() : storeGuard.call(call);
    }

    <T> CompletableFuture<T> brokerOrThrow(Supplier<? extends CompletionStage<T>> call)
            throws HubException {
        return brokerGuard == null ? call.get().toCompletableFuture() : brokerGuard.call(call);
    }

    /** A guarded call whose refusal is a failed future rather than an exception. */
    private static <T> CompletableFuture<T> guarded(ClusterGuard guard, Supplier<? extends CompletionStage<T>> call) {
        try {
            return guard == null ? call.get().toCompletableFuture() : guard.call(call);
        } catch (HubException e) {
            return CompletableFuture.failedFuture(e);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Logs the failure of a call nobody waits for. */
    static void quietly(String what, CompletableFuture<?> call) {
        if (call.isDone() && !call.isCompletedExceptionally()) {
            return;
        }
        call.whenComplete((v, e) -> {
            if (e != null) {
                logFailure(what, "failed", Failures.rootCause(e));
            }
        });
    }

    /** The error a failed call means for a client: its own {@link HubException}, or {@code unavailable}. */
    static HubException hubError(CompletableFuture<?> failed) {
        try {
            failed.join();
            throw new IllegalStateException("not failed");
        } catch (CompletionException e) {
            return unavailable("the cluster backend", e);
        }
    }

    /** Maps a failure to what a client gets: a HubException as is, anything else as {@code unavailable}. */
    static HubException unavailable(String what, Throwable error) {
        Throwable cause = Failures.rootCause(error);
        if (cause instanceof HubException h) {
            return h;
        }
        String why = cause instanceof TimeoutException ? "timed out" : "failed";
        logFailure(what, why, cause);
        return new HubException(ErrorCode.UNAVAILABLE, what + " " + why + ", retry later");
    }

    private static void logFailure(String what, String why, Throwable cause) {
        long held = FAILURE_LOG.admit();
        if (held < 0) {
            log.debug("{} {}: {}", what, why, cause.toString());
        } else {
            log.warn("{} {}: {}{}", what, why, cause.toString(),
                    held == 0 ? "" : " (" + held + " more backend failures since the last such line, at debug)");
        }
    }
}
