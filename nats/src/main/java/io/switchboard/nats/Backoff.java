package io.switchboard.nats;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Waits between connection attempts: a ceiling that starts at twice {@code min} and doubles per attempt
 * up to {@code max}, and a delay drawn uniformly between {@code min} and that ceiling ("full jitter"), so
 * the nodes that lost the same server do not come back in lock-step. Thread-safe if its random
 * generator is (the broker passes a {@link java.util.Random}; tests pass a seeded one).
 */
final class Backoff {
    private final long minNanos;
    private final long maxNanos;
    private final RandomGenerator random;

    Backoff(Duration min, Duration max, RandomGenerator random) {
        if (min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("need 0 < min <= max, got " + min + " and " + max);
        }
        this.minNanos = min.toNanos();
        this.maxNanos = max.toNanos();
        this.random = random;
    }

    /** The wait before retry number {@code attempt} (1 for the first retry); always within [min, max]. */
    Duration delay(long attempt) {
        long shift = Math.max(1, attempt);
        // Shifting into the sign bit would wrap; by then the ceiling has long been max.
        long ceiling = shift >= Long.numberOfLeadingZeros(minNanos) - 1 ? maxNanos : Math.min(maxNanos, minNanos << shift);
        return Duration.ofNanos(minNanos + (ceiling > minNanos ? random.nextLong(ceiling - minNanos + 1) : 0));
    }
}
