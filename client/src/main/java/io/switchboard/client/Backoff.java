package io.switchboard.client;

import java.time.Duration;
import java.util.Objects;
import java.util.Random;

/**
 * Exponential backoff with full jitter: the delay before attempt {@code n} (0-based) is uniform in
 * {@code [0, min(max, initial * 2^n))}. Full jitter spreads a crowd of clients that lost the same
 * server over the whole window instead of stampeding it at the same instants (AWS Architecture
 * Blog, "Exponential Backoff And Jitter").
 *
 * <p>Thread-safe (as {@link Random} is); a client calls it from its event loop only.
 */
public final class Backoff {
    private final long initialMillis;
    private final long maxMillis;
    private final Random random;

    /**
     * @param initial ceiling of the first delay (seed default 2 s)
     * @param max cap of every ceiling (seed default 30 s); must be at least {@code initial}
     * @param random jitter source; pass a seeded one for deterministic tests
     */
    public Backoff(Duration initial, Duration max, Random random) {
        this.initialMillis = initial.toMillis();
        this.maxMillis = max.toMillis();
        this.random = Objects.requireNonNull(random, "random");
        if (initialMillis <= 0 || maxMillis < initialMillis) {
            throw new IllegalArgumentException("backoff needs 0 < initial <= max, got " + initial + " and " + max);
        }
    }

    /** The ceiling of the delay before attempt {@code attempt}: {@code min(max, initial * 2^attempt)}. */
    public long ceilingMillis(int attempt) {
        int shift = Math.min(Math.max(attempt, 0), 30);
        long ceiling = initialMillis << shift;
        return ceiling <= 0 || ceiling > maxMillis ? maxMillis : ceiling;
    }

    /** A random delay in {@code [0, ceilingMillis(attempt))}. */
    public Duration delay(int attempt) {
        return Duration.ofMillis((long) (random.nextDouble() * ceilingMillis(attempt)));
    }
}
