package io.switchboard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.core.TimeSource;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The throttle's table of failure streaks: bounded, shared beyond its bound, expiring with the window. */
class ApiKeyThrottleStreaksTest {
    private static final class ManualTime implements TimeSource {
        long nanos;

        @Override
        public long nanoTime() {
            return nanos;
        }

        @Override
        public long currentTimeMillis() {
            return TimeUnit.NANOSECONDS.toMillis(nanos);
        }
    }

    private static void fail(ApiKeyThrottle t, String ip, int times) {
        for (int i = 0; i < times; i++) {
            t.failed(ip);
        }
    }

    @Test
    void aFullTableThrottlesTheAddressesBeyondItTogetherAndStreaksEndWithTheirWindow() {
        ManualTime time = new ManualTime();
        ApiKeyThrottle t = new ApiKeyThrottle(3, time);
        fail(t, "10.0.0.1", 1);
        fail(t, "10.0.0.2", 1);
        fail(t, "10.0.0.3", ApiKeyThrottle.MAX_FAILURES);
        assertThat(t.retryAfterSeconds("10.0.0.3")).isEqualTo(ApiKeyThrottle.WINDOW_SECONDS);
        assertThat(t.retryAfterSeconds("10.0.0.1")).isZero();
        for (int i = 4; i < 4 + ApiKeyThrottle.MAX_FAILURES; i++) {
            fail(t, "10.0.0." + i, 1); // each a new address, all in the shared streak
        }
        assertThat(t.tracked()).isEqualTo(4);
        assertThat(t.retryAfterSeconds("10.0.9.9")).isPositive();
        assertThat(t.retryAfterSeconds("10.0.0.1")).isZero();

        time.nanos += TimeUnit.SECONDS.toNanos(ApiKeyThrottle.WINDOW_SECONDS);
        assertThat(t.retryAfterSeconds("10.0.0.3")).isZero();
        t.failed("10.0.0.1"); // sweeps the expired streaks, then starts a new one
        assertThat(t.tracked()).isEqualTo(1);
        t.succeeded("10.0.0.1");
        assertThat(t.tracked()).isZero();
    }}
