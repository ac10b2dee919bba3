package io.switchboard.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryDelayTest {

    @Test
    void waitsStayBetweenAHundredMillisecondsAndADoublingCeilingCappedAtFiveSeconds() {
        for (long attempt = 1; attempt <= 100; attempt++) {
            long ceilingMillis = attempt >= 7 ? 5_000 : Math.min(5_000, 100L << (attempt - 1));
            for (int i = 0; i < 50; i++) {
                assertThat(RetryDelay.after(attempt).toMillis()).as("attempt %d", attempt).isBetween(100L, ceilingMillis);
                assertThat(RetryDelay.LETTUCE.createDelay(attempt)).isBetween(RetryDelay.MIN, RetryDelay.MAX);
            }
        }
        assertThat(RetryDelay.after(1)).isEqualTo(Duration.ofMillis(100));
    }
}
