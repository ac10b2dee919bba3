package io.switchboard.core.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchboard.core.HubException;
import io.switchboard.protocol.ErrorCode;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * The guard's deadline, bound and breaker rule (enough calls in the last 10 s, 60% of them failed), with chosen
 * outcomes. Most tests judge after 3 calls; the default judges after {@value ClusterGuard#MINIMUM_CALLS}.
 */
class ClusterGuardTest {

    private static CompletableFuture<String> ok() {
        return CompletableFuture.completedFuture("ok");
    }

    private static CompletableFuture<String> failing() {
        return CompletableFuture.failedFuture(new IllegalStateException("backend down"));
    }

    @Test
    void opensAfterThreeCallsWithSixtyPercentFailedAndRefusesAtOnce() throws Exception {
        ClusterGuard guard = new ClusterGuard("test", Duration.ofSeconds(1), 100, Duration.ofMinutes(1), 3);
        guard.call(ClusterGuardTest::failing);
        guard.call(ClusterGuardTest::failing);
        assertThat(guard.isOpen()).as("two calls are not enough to judge").isFalse();
        guard.call(ClusterGuardTest::ok);
        assertThat(guard.isOpen()).as("2 of 3 failed: 67% >= 60%").isTrue();
        assertThat(guard.state()).isEqualTo("OPEN");
        boolean[] called = {false};
        assertThatThrownBy(() -> guard.call(() -> {
            called[0] = true;
            return ok();
        })).isInstanceOf(HubException.class)
                .satisfies(e -> assertThat(((HubException) e).code()).isEqualTo(ErrorCode.UNAVAILABLE));
        assertThat(called[0]).as("an open breaker does not call the backend").isFalse();
    }

    @Test
    void byDefaultAFewFailuresAmongManyCallsDoNotOpenItButABackendThatKeepsFailingDoes() throws Exception {
        ClusterGuard guard = new ClusterGuard("test", Duration.ofSeconds(1), 100, Duration.ofMinutes(1));
        for (int i = 0; i < 100; i++) {
            guard.call(ClusterGuardTest::ok);
        }
        for (int i = 0; i < 10; i++) {
            guard.call(ClusterGuardTest::failing);
        }
        assertThat(guard.isOpen()).as("10 failed in a row, but 10 of 110 in the window").isFalse();
        int more = 0;
        while (!guard.isOpen() && more < 1000) {
            guard.call(ClusterGuardTest::failing);
            more++;
        }
        assertThat(more).as("opens once 60% of the window failed: (10 + 140) of 250").isEqualTo(140);
    }

    @Test
    void byDefaultItJudgesNoBackendOnAFewCalls() throws Exception {
        ClusterGuard guard = new ClusterGuard("test", Duration.ofSeconds(1), 100, Duration.ofMinutes(1));
        for (int i = 0; i < ClusterGuard.MINIMUM_CALLS - 1; i++) {
            guard.call(ClusterGuardTest::failing);
        }
        assertThat(guard.isOpen()).as("fewer than the minimum").isFalse();
        guard.call(ClusterGuardTest::failing);
        assertThat(guard.isOpen()).isTrue();
    }

    @Test
    void staysClosedBelowSixtyPercentFailures() throws Exception {
        ClusterGuard guard = new ClusterGuard("test", Duration.ofSeconds(1), 100, Duration.ofMinutes(1), 3);
        guard.call(ClusterGuardTest::failing);
        guard.call(ClusterGuardTest::ok);
        guard.call(ClusterGuardTest::ok);
        guard.call(ClusterGuardTest::failing);
        guard.call(ClusterGuardTest::ok);
        assertThat(guard.isOpen()).as("2 of 5 failed: 40%").isFalse();
    }

    @Test
    void probesAfterTheOpenDurationAndClosesWhenTheProbesSucceed() throws Exception {
        ClusterGuard guard = new ClusterGuard("test", Duration.ofSeconds(1), 100, Duration.ofMillis(200), 3);
        for (int i = 0; i < 3; i++) {
            guard.call(ClusterGuardTest::failing);
        }
        assertThat(guard.isOpen()).isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!guard.state().equals("HALF_OPEN")) {
            assertThat(System.nanoTime()).as("half-open after the open duration").isLessThan(deadline);
            Thread.sleep(20);
        }
        for (int i = 0; i < 3; i++) {
            guard.call(ClusterGuardTest::ok);
        }
        assertThat(guard.state()).isEqualTo("CLOSED");
    }

    @Test
    void aCallPastItsDeadlineFailsWithATimeoutAndCountsAsAFailure() throws Exception {
        ClusterGuard guard = new ClusterGuard("test", Duration.ofMillis(50), 100, Duration.ofMinutes(1), 3);
        CompletableFuture<String> never = new CompletableFuture<>();
        CompletableFuture<String> call = guard.call(() -> never);
        assertThatThrownBy(() -> call.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(TimeoutException.class);
        assertThat(guard.pending()).isZero();
    }

    @Test
    void boundsTheCallsInFlight() throws Exception {
        ClusterGuard guard = new ClusterGuard("test", Duration.ofSeconds(10), 2, Duration.ofMinutes(1));
        CompletableFuture<String> slow1 = new CompletableFuture<>();
        CompletableFuture<String> slow2 = new CompletableFuture<>();
        guard.call(() -> slow1);
        guard.call(() -> slow2);
        assertThat(guard.pending()).isEqualTo(2);
        assertThatThrownBy(() -> guard.call(ClusterGuardTest::ok)).isInstanceOf(HubException.class)
                .hasMessageContaining("too many operations pending");
        slow1.complete("done");
        assertThat(guard.pending()).isEqualTo(1);
        assertThat(guard.call(ClusterGuardTest::ok).get()).isEqualTo("ok");
    }
}
