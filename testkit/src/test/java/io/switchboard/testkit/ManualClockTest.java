package io.switchboard.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ManualClockTest {
    @Test
    void startsAtFixedNonZeroValuesSoRunsRepeat() {
        ManualClock clock = new ManualClock();
        assertThat(clock.nanoTime()).isEqualTo(ManualClock.DEFAULT_START_NANOS).isNotZero();
        assertThat(clock.currentTimeMillis()).isEqualTo(ManualClock.DEFAULT_START_EPOCH_MILLIS);
        assertThat(clock.millis()).isEqualTo(clock.currentTimeMillis());
        assertThat(clock.elapsed()).isZero();
    }

    @Test
    void standsStillUntilAdvanced() throws InterruptedException {
        ManualClock clock = new ManualClock(5, 7);
        Thread.sleep(2);
        assertThat(clock.nanoTime()).isEqualTo(5);
        assertThat(clock.currentTimeMillis()).isEqualTo(7);
    }

    @Test
    void advanceMovesNanosAndMillisTogether() {
        ManualClock clock = new ManualClock(0, 1000);
        assertThat(clock.advance(Duration.ofMillis(1500))).isEqualTo(1_500_000_000L);
        assertThat(clock.nanoTime()).isEqualTo(1_500_000_000L);
        assertThat(clock.currentTimeMillis()).isEqualTo(2500);
        assertThat(clock.elapsed()).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void millisAreTruncatedFromTheNanosAdvanced() {
        ManualClock clock = new ManualClock(0, 0);
        clock.advanceNanos(999_999);
        assertThat(clock.currentTimeMillis()).isZero();
        clock.advanceNanos(1);
        assertThat(clock.currentTimeMillis()).isEqualTo(1);
    }

    @Test
    void neverMovesBackwards() {
        ManualClock clock = new ManualClock(100, 0);
        assertThatThrownBy(() -> clock.advance(Duration.ofNanos(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThat(clock.advanceTo(50)).isEqualTo(100);
        assertThat(clock.advanceTo(160)).isEqualTo(160);
        assertThat(clock.nanoTime()).isEqualTo(160);
    }

    @Test
    void advancesFromManyThreadsAddUp() throws InterruptedException {
        ManualClock clock = new ManualClock(0, 0);
        Thread[] threads = new Thread[4];
        for (int i = 0; i < threads.length; i++) {
            threads[i] = new Thread(() -> {
                for (int j = 0; j < 1000; j++) {
                    clock.advanceNanos(1);
                }
            });
            threads[i].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(clock.nanoTime()).isEqualTo(4000);
    }
}
