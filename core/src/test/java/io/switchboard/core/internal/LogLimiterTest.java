package io.switchboard.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LogLimiterTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final LogLimiter limiter = new LogLimiter(Duration.ofSeconds(10), now::get);

    @Test
    void letsTheFirstLineThroughAndHoldsBackTheRestOfTheInterval() {
        assertThat(limiter.admit()).isZero();
        now.addAndGet(Duration.ofSeconds(9).toNanos());
        assertThat(limiter.admit()).isEqualTo(-1);
        assertThat(limiter.admit()).isEqualTo(-1);
    }

    @Test
    void theNextLineAfterTheIntervalCountsWhatWasHeldBack() {
        limiter.admit();
        for (int i = 0; i < 5; i++) {
            limiter.admit();
        }
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(limiter.admit()).isEqualTo(5);
        assertThat(limiter.admit()).isEqualTo(-1);
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(limiter.admit()).as("the count starts again").isEqualTo(1);
    }

    @Test
    void aClockNearItsWrapStillCountsTheInterval() {
        now.set(Long.MAX_VALUE - 5);
        LogLimiter wrapping = new LogLimiter(Duration.ofNanos(10), now::get);
        assertThat(wrapping.admit()).isZero();
        now.addAndGet(9);
        assertThat(wrapping.admit()).isEqualTo(-1);
        now.addAndGet(1);
        assertThat(wrapping.admit()).isEqualTo(1);
    }
}
