package io.switchboard.core.guard;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.switchboard.core.HubException;
import io.switchboard.protocol.ErrorCode;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stands between the hub and a remote backend (broker, history, presence): every call gets a deadline,
 * at most {@code maxPending} calls are in flight at once, and a circuit breaker fails calls fast while
 * the backend keeps failing. The breaker judges the calls that ended in the last 10 seconds: when at least
 * {@value #MINIMUM_CALLS} did and 60% or more of them failed, it opens, stays open for {@code openDuration},
 * then lets 3 probe calls through (half-open) and closes again when they succeed.
 *
 * <p>Why a time window and not the last few calls: at thousands of calls a second, a window of 10 calls
 * spans milliseconds, so one short stall of a backend that is otherwise fine (a fork for a snapshot, a
 * burst of joins on a busy machine) opened the breaker and turned a few slow calls into seconds of refused
 * joins and publishes for every client of the node. Thread-safe.
 */
public final class ClusterGuard {
    private static final Logger log = LoggerFactory.getLogger(ClusterGuard.class);
    /** Calls that must have ended in the window before the breaker judges: fewer say nothing about a backend. */
    static final int MINIMUM_CALLS = 20;
    private static final int WINDOW_SECONDS = 10;

    private final String name;
    private final long timeoutNanos;
    private final int maxPending;
    private final Semaphore pending;
    private final CircuitBreaker breaker;

    public ClusterGuard(String name, Duration timeout, int maxPending, Duration openDuration) {
        this(name, timeout, maxPending, openDuration, MINIMUM_CALLS);
    }

    /** With a breaker that judges after {@code minimumCalls} calls in its window (tests use a few). */
    public ClusterGuard(String name, Duration timeout, int maxPending, Duration openDuration, int minimumCalls) {
        this.name = name;
        this.timeoutNanos = timeout.toNanos();
        this.maxPending = maxPending;
        this.pending = new Semaphore(maxPending);
        this.breaker = CircuitBreaker.of(name, CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.TIME_BASED)
                .slidingWindowSize(WINDOW_SECONDS)
                .minimumNumberOfCalls(minimumCalls)
                .failureRateThreshold(60)
                .waitDurationInOpenState(openDuration)
                .permittedNumberOfCallsInHalfOpenState(3)
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .recordExceptions(Throwable.class)
                .build());
        breaker.getEventPublisher().onStateTransition(e -> log.atWarn().addKeyValue("backend", name)
                .addKeyValue("transition", e.getStateTransition().toString())
                .log("circuit breaker of {}: {}", name, e.getStateTransition()));
    }

    /**
     * Runs {@code call} under the deadline, the bound and the breaker. Throws {@code unavailable} at once
     * when the breaker is open or the bound is reached; otherwise the returned future fails with the
     * call's error, or with a {@link java.util.concurrent.TimeoutException} after the deadline.
     */
    public <T> CompletableFuture<T> call(Supplier<? extends CompletionStage<T>> call) throws HubException {
        if (!breaker.tryAcquirePermission()) {
            throw new HubException(ErrorCode.UNAVAILABLE, name + " is unavailable, retry later");
        }
        if (!pending.tryAcquire()) {
            breaker.releasePermission();
            throw new HubException(ErrorCode.UNAVAILABLE, "too many operations pending on " + name + ", retry later");
        }
        long start = System.nanoTime();
        CompletableFuture<T> result;
        try {
            result = call.get().toCompletableFuture();
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        if (!result.isDone()) {
            result = result.orTimeout(timeoutNanos, TimeUnit.NANOSECONDS);
        }
        return result.whenComplete((v, e) -> {
            pending.release();
            long took = System.nanoTime() - start;
            if (e == null) {
                breaker.onSuccess(took, TimeUnit.NANOSECONDS);
            } else {
                breaker.onError(took, TimeUnit.NANOSECONDS, e);
            }
        });
    }

    /** True while calls fail fast. */
    public boolean isOpen() {
        CircuitBreaker.State s = breaker.getState();
        return s == CircuitBreaker.State.OPEN || s == CircuitBreaker.State.FORCED_OPEN;
    }

    /** The breaker's state, for health checks and logs: CLOSED, OPEN or HALF_OPEN. */
    public String state() {
        return breaker.getState().name();
    }

    /** Calls in flight now. */
    public int pending() {
        return maxPending - pending.availablePermits();
    }

    public String name() {
        return name;
    }

}
