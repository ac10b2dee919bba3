package io.switchboard.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.internal.Backoff;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ReconnectPolicyTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final ReconnectPolicy policy = new ReconnectPolicy(
            Backoff.fullJitter(Duration.ofSeconds(2), Duration.ofSeconds(30), new Random(9)), now::get);

    @Test
    void closeCodesThatForbidReconnectingStopTheClient() {
        for (int code : new int[] {1000, 1002, 1003, 1007, 1008, 1009, 4003}) {
            assertThat(policy.delay(code, true, 0, -1)).as("close %d", code).isNull();
        }
    }

    @Test
    void transientCloseCodesAndLostConnectionsBackOffWithinTheWindow() {
        for (int code : new int[] {1001, 1011, 1013, 4008, 4029, 4999}) {
            assertThat(policy.delay(code, true, 0, -1)).as("close %d", code).isBetween(Duration.ZERO, Duration.ofSeconds(2));
        }
        assertThat(policy.delay(1006, false, 3, -1)).isBetween(Duration.ZERO, Duration.ofSeconds(16));
    }

    @Test
    void rejectedUpgradesRetryOnlyForLoad() {
        assertThat(ReconnectPolicy.retryFor(429, false)).isEqualTo(CloseCode.Retry.BACKOFF);
        assertThat(ReconnectPolicy.retryFor(503, false)).isEqualTo(CloseCode.Retry.BACKOFF);
        assertThat(ReconnectPolicy.retryFor(401, false)).isEqualTo(CloseCode.Retry.NEVER);
        assertThat(ReconnectPolicy.retryFor(403, false)).isEqualTo(CloseCode.Retry.NEVER);
    }

    @Test
    void serviceRestartWaitsTheServersHint() {
        assertThat(policy.delay(1012, true, 0, 1234)).isEqualTo(Duration.ofMillis(1234));
        assertThat(policy.delay(1012, true, 0, -1)).isBetween(Duration.ZERO, Duration.ofSeconds(2));
    }

    @Test
    void tokenExpiryReconnectsAtOnceUnlessItRepeatsWithinThirtySeconds() {
        assertThat(policy.delay(4001, true, 0, -1)).isEqualTo(Duration.ZERO);
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        // A second expiry a second later: the supplier's token is stale; an immediate retry would loop.
        assertThat(policy.delay(4001, true, 1, -1)).isGreaterThan(Duration.ZERO).isLessThan(Duration.ofSeconds(4));
        now.addAndGet(TimeUnit.SECONDS.toNanos(31));
        assertThat(policy.delay(4001, true, 0, -1)).isEqualTo(Duration.ZERO);
    }
}
