package io.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private final Backoff backoff = new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(30), new Random(42));

    @Test
    void ceilingDoublesFromTwoSecondsAndIsCappedAtThirty() {
        assertThat(backoff.ceilingMillis(0)).isEqualTo(2_000);
        assertThat(backoff.ceilingMillis(1)).isEqualTo(4_000);
        assertThat(backoff.ceilingMillis(2)).isEqualTo(8_000);
        assertThat(backoff.ceilingMillis(3)).isEqualTo(16_000);
        assertThat(backoff.ceilingMillis(4)).isEqualTo(30_000);
        assertThat(backoff.ceilingMillis(1_000)).isEqualTo(30_000);
    }

    @Test
    void fullJitterSpreadsDelaysOverTheWholeWindow() {
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 10_000; i++) {
            long d = backoff.delay(5).toMillis();
            assertThat(d).isBetween(0L, 29_999L);
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        assertThat(min).isLessThan(1_000);
        assertThat(max).isGreaterThan(29_000);
    }

    @Test
    void seededRandomMakesDelaysReproducible() {
        Backoff a = new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(30), new Random(7));
        Backoff b = new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(30), new Random(7));
        for (int attempt = 0; attempt < 8; attempt++) {
            assertThat(a.delay(attempt)).isEqualTo(b.delay(attempt));
        }
    }

    @Test
    void rejectsACapBelowTheStart() {
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(5), Duration.ofSeconds(1), new Random()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("backoff needs 0 < initial <= max, got PT5S and PT1S");
    }
}
