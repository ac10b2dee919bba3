package io.switchboard.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Messages per second over a sliding window of samples, with injected times: nothing sleeps. */
class SlidingRateTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void isZeroBeforeTwoSamples() {
        SlidingRate rate = new SlidingRate(10);
        assertThat(rate.perSecond()).isZero();
        rate.sample(0, 100);
        assertThat(rate.perSecond()).isZero();
    }

    @Test
    void averagesOverTheSamplesInTheWindow() {
        SlidingRate rate = new SlidingRate(10);
        rate.sample(0, 0);
        rate.sample(SECOND, 100);
        rate.sample(2 * SECOND, 300);
        assertThat(rate.perSecond()).isCloseTo(150, within(1e-9));
    }

    @Test
    void forgetsSamplesThatLeftTheWindow() {
        SlidingRate rate = new SlidingRate(3);
        // A burst of 1000 in the first second, then 10 per second.
        rate.sample(0, 0);
        rate.sample(SECOND, 1000);
        long total = 1000;
        for (int s = 2; s <= 6; s++) {
            total += 10;
            rate.sample(s * SECOND, total);
        }
        assertThat(rate.perSecond()).isCloseTo(10, within(1e-9));
    }

    @Test
    void usesTheActualTimeBetweenSamples() {
        SlidingRate rate = new SlidingRate(10);
        rate.sample(0, 0);
        rate.sample(SECOND / 2, 50);
        assertThat(rate.perSecond()).isCloseTo(100, within(1e-9));
    }

    @Test
    void aStalledClockGivesZeroNotInfinity() {
        SlidingRate rate = new SlidingRate(10);
        rate.sample(5, 0);
        rate.sample(5, 100);
        assertThat(rate.perSecond()).isZero();
    }
}
