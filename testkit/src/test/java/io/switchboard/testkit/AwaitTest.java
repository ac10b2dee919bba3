package io.switchboard.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AwaitTest {
    @Test
    void untilReturnsOnceTheConditionHolds() {
        AtomicInteger polls = new AtomicInteger();
        Await.until("the third poll", () -> polls.incrementAndGet() >= 3);
        assertThat(polls).hasValue(3);
    }

    @Test
    void untilFailsWithWhatWasAwaited() {
        assertThatThrownBy(() -> Await.until("the moon", Duration.ofMillis(30), () -> false))
                .isInstanceOf(AssertionError.class).hasMessage("not within PT0.03S: the moon");
    }

    @Test
    void untilChecksOnceEvenWithAZeroTimeout() {
        Await.until("already true", Duration.ZERO, () -> true);
    }

    @Test
    void succeedsRetriesUntilTheCallSucceeds() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        String value = Await.succeeds("the second call", Duration.ofSeconds(5), () -> calls.incrementAndGet() < 2
                ? CompletableFuture.failedFuture(new IllegalStateException("not yet"))
                : CompletableFuture.completedFuture("ok"));
        assertThat(value).isEqualTo("ok");
        assertThat(calls).hasValue(2);
    }

    @Test
    void succeedsFailsWithTheLastFailureAsCause() {
        IllegalStateException never = new IllegalStateException("never");
        assertThatThrownBy(() -> Await.succeeds("a success", Duration.ofMillis(50),
                () -> CompletableFuture.failedFuture(never)))
                .isInstanceOf(AssertionError.class).hasMessage("not within PT0.05S: a success").hasCause(never);
    }

    @Test
    void getReturnsTheValueOrTheFailureOrTimesOut() throws Exception {
        assertThat(Await.get(CompletableFuture.completedFuture(1), Duration.ofSeconds(1))).isEqualTo(1);
        assertThatThrownBy(() -> Await.get(CompletableFuture.failedFuture(new IllegalStateException("x")),
                Duration.ofSeconds(1))).isInstanceOf(ExecutionException.class);
        assertThatThrownBy(() -> Await.get(new CompletableFuture<>(), Duration.ofMillis(10)))
                .isInstanceOf(TimeoutException.class);
    }
}
