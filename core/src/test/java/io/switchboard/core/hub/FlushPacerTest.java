package io.switchboard.core.hub;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FlushPacerTest {
    private static final long MS = 1_000_000L;
    private static final long WINDOW = FlushPacer.WINDOW_NANOS;

    private long now;
    private final FlushPacer pacer = new FlushPacer(10 * MS, 0);

    /** One window in which flush passes took {@code percent} of the time, in ten passes. */
    private void window(int percent) {
        long pass = WINDOW * percent / 100 / 10;
        for (int i = 0; i < 10; i++) {
            now += WINDOW / 10 - pass;
            pacer.passed(now, now + pass);
            now += pass;
        }
    }

    @Test
    void anIdleLoopFlushesAtOnce() {
        assertThat(pacer.delayNanos()).isZero();
        window(1);
        window(10);
        assertThat(pacer.delayNanos()).isZero();
    }

    @Test
    void aLoopBusyFlushingDoublesTheDelayPerWindowUpToTheMaximum() {
        window(40);
        assertThat(pacer.delayNanos()).isEqualTo(FlushPacer.MIN_DELAY_NANOS);
        window(40);
        assertThat(pacer.delayNanos()).isEqualTo(2 * FlushPacer.MIN_DELAY_NANOS);
        for (int i = 0; i < 10; i++) {
            window(40);
        }
        assertThat(pacer.delayNanos()).isEqualTo(10 * MS);
    }

    @Test
    void betweenTheThresholdsTheDelayHolds() {
        for (int i = 0; i < 4; i++) {
            window(30);
        }
        long held = pacer.delayNanos();
        assertThat(held).isEqualTo(4 * MS);
        for (int i = 0; i < 5; i++) {
            window(10);
        }
        assertThat(pacer.delayNanos()).isEqualTo(held);
    }

    @Test
    void quietWindowsHalveTheDelayAndAnIdleSpellEndsIt() {
        for (int i = 0; i < 10; i++) {
            window(40);
        }
        window(2);
        assertThat(pacer.delayNanos()).isEqualTo(5 * MS);
        window(2);
        assertThat(pacer.delayNanos()).isEqualTo(5 * MS / 2);

        // No pass for a second (the loop had nothing to flush), then one short pass: back to flushing at once.
        now += 1000 * MS;
        pacer.passed(now, now + 1000);
        assertThat(pacer.delayNanos()).isZero();
    }
}
