package io.switchboard.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokenBucketTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void aFullBucketAllowsTheBurstThenRefillsAtTheRate() {
        TokenBucket b = new TokenBucket(10, 5, 0);
        for (int i = 0; i < 5; i++) {
            assertThat(b.tryTake(0)).isTrue();
        }
        assertThat(b.tryTake(0)).isFalse();
        assertThat(b.tryTake(SECOND / 10 - 1)).isFalse();
        assertThat(b.tryTake(SECOND / 10)).isTrue();
        assertThat(b.isFull(SECOND / 10 + SECOND / 2)).isTrue();
    }

    @Test
    void neverHoldsMoreThanTheBurstHoweverLongItWasIdle() {
        TokenBucket b = new TokenBucket(1000, 3, 0);
        int taken = 0;
        while (b.tryTake(100 * SECOND)) {
            taken++;
        }
        assertThat(taken).isEqualTo(3);
    }
}
