package io.switchboard.nats;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), new SplittableRandom(7));

    @Test
    void everyDelayLiesBetweenMinAndADoublingCeilingCappedAtMax() {
        for (long attempt = 1; attempt <= 200; attempt++) {
            long ceilingMillis = attempt >= 6 ? 5000 : Math.min(5000, 100L << attempt);
            for (int i = 0; i < 200; i++) {
                assertThat(backoff.delay(attempt).toMillis()).as("attempt %d", attempt).isBetween(100L, ceilingMillis);
            }
        }
    }

    @Test
    void delaysAreJitteredSoNodesDoNotRetryInLockStep() {
        long distinct = IntStream.range(0, 100).mapToObj(i -> backoff.delay(10)).distinct().count();
        assertThat(distinct).isGreaterThan(90);
    }

    @Test
    void hugeAttemptCountsStayAtMax() {
        assertThat(backoff.delay(Long.MAX_VALUE)).isBetween(Duration.ofMillis(100), Duration.ofSeconds(5));
        assertThat(backoff.delay(0)).isBetween(Duration.ofMillis(100), Duration.ofMillis(200));
    }
}
