package io.switchboard.protocol.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Both shapes of the one backoff: the client's (from zero) and the adapters' (at least a minimum). */
class BackoffTest {

    /** As the Java client and its pool use it: 2 s doubling up to 30 s, from zero. */
    private final Backoff client = Backoff.fullJitter(Duration.ofSeconds(2), Duration.ofSeconds(30), new Random(42));

    @Test
    void ceilingDoublesFromTwoSecondsAndIsCappedAtThirty() {
        assertThat(client.ceiling(0).toMillis()).isEqualTo(2_000);
        assertThat(client.ceiling(1).toMillis()).isEqualTo(4_000);
        assertThat(client.ceiling(2).toMillis()).isEqualTo(8_000);
        assertThat(client.ceiling(3).toMillis()).isEqualTo(16_000);
        assertThat(client.ceiling(4).toMillis()).isEqualTo(30_000);
        assertThat(client.ceiling(1_000).toMillis()).isEqualTo(30_000);
    }

    @Test
    void fullJitterSpreadsDelaysOverTheWholeWindow() {
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 10_000; i++) {
            long d = client.delay(5).toMillis();
            assertThat(d).isBetween(0L, 29_999L);
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        assertThat(min).isLessThan(1_000);
        assertThat(max).isGreaterThan(29_000);
    }

    @Test
    void seededRandomMakesDelaysReproducible() {
        Backoff a = Backoff.fullJitter(Duration.ofSeconds(2), Duration.ofSeconds(30), new Random(7));
        Backoff b = Backoff.fullJitter(Duration.ofSeconds(2), Duration.ofSeconds(30), new Random(7));
        for (int attempt = 0; attempt < 8; attempt++) {
            assertThat(a.delay(attempt)).isEqualTo(b.delay(attempt));
        }
    }

    @Test
    void rejectsACapBelowTheStart() {
        assertThatThrownBy(() -> Backoff.fullJitter(Duration.ofSeconds(5), Duration.ofSeconds(1), new Random()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("backoff needs 0 < initial <= max, got PT5S and PT1S");
    }

    /** As the Redis and NATS adapters use it: 100 ms doubling up to 5 s, never below 100 ms. */
    private final Backoff adapter = Backoff.atLeast(Duration.ofMillis(100), Duration.ofSeconds(5), new SplittableRandom(7));

    @Test
    void everyDelayLiesBetweenMinAndADoublingCeilingCappedAtMax() {
        for (long attempt = 1; attempt <= 200; attempt++) {
            long ceilingMillis = attempt >= 6 ? 5000 : Math.min(5000, 100L << attempt);
            for (int i = 0; i < 200; i++) {
                assertThat(adapter.delay(attempt).toMillis()).as("attempt %d", attempt).isBetween(100L, ceilingMillis);
            }
        }
    }

    @Test
    void delaysAreJitteredSoNodesDoNotRetryInLockStep() {
        long distinct = IntStream.range(0, 100).mapToObj(i -> adapter.delay(10)).distinct().count();
        assertThat(distinct).isGreaterThan(90);
    }

    @Test
    void hugeAttemptCountsStayAtMax() {
        assertThat(adapter.delay(Long.MAX_VALUE)).isBetween(Duration.ofMillis(100), Duration.ofSeconds(5));
        assertThat(adapter.delay(0)).isBetween(Duration.ofMillis(100), Duration.ofMillis(200));
    }

    @Test
    void rejectsAZeroMinimumOrACapBelowIt() {
        assertThatThrownBy(() -> Backoff.atLeast(Duration.ZERO, Duration.ofSeconds(1), new Random()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Backoff.atLeast(Duration.ofSeconds(2), Duration.ofSeconds(1), new Random()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("need 0 < min <= max, got PT2S and PT1S");
    }
}
