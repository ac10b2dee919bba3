package io.switchboard.protocol.internal;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with a cap and full jitter, the one formula every reconnect loop of Switchboard
 * uses (the Java client, its pool, the Redis and NATS adapters).
 *
 * <p>The ceiling before attempt {@code n} is {@code min(max, initial * 2^n)}, and a delay is drawn
 * uniformly in {@code [floor, ceiling)} (just {@code floor} when the ceiling is not above it). Full
 * jitter spreads a crowd of peers that lost the same server over the whole window instead of
 * stampeding it at the same instants (AWS Architecture Blog, "Exponential Backoff And Jitter").
 * Two shapes are in use:
 * <ul>
 *   <li>{@link #fullJitter}: floor 0, as the client does: {@code [0, min(max, initial * 2^n))}, attempts
 *       counted from 0;</li>
 *   <li>{@link #atLeast}: floor and initial ceiling both {@code min}, as the adapters do: retries counted
 *       from 1 wait in {@code [min, min(max, min * 2^n))}, so never less than {@code min}.</li>
 * </ul>
 *
 * <p>Thread-safe if its random generator is ({@link java.util.Random} is; tests pass a seeded one).
 */
public final class Backoff {
    /** Shifting further would overflow; by then every ceiling is {@code max} anyway. */
    private static final int MAX_SHIFT = 62;

    private final long floorNanos;
    private final long initialNanos;
    private final long maxNanos;
    private final RandomGenerator random;

    private Backoff(long floorNanos, long initialNanos, long maxNanos, RandomGenerator random) {
        this.floorNanos = floorNanos;
        this.initialNanos = initialNanos;
        this.maxNanos = maxNanos;
        this.random = Objects.requireNonNull(random, "random");
    }

    /**
     * Delays in {@code [0, min(max, initial * 2^attempt))}.
     *
     * @param initial ceiling of the first delay (attempt 0)
     * @param max cap of every ceiling; must be at least {@code initial}
     * @param random jitter source; pass a seeded one for deterministic tests
     * @throws IllegalArgumentException unless {@code 0 < initial <= max}
     */
    public static Backoff fullJitter(Duration initial, Duration max, RandomGenerator random) {
        if (initial.toMillis() <= 0 || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < initial <= max, got " + initial + " and " + max);
        }
        return new Backoff(0, initial.toNanos(), max.toNanos(), random);
    }

    /**
     * Delays in {@code [min, min(max, min * 2^attempt))}, never below {@code min}: retry 1 waits up to
     * twice {@code min}, each further retry doubles the ceiling until it reaches {@code max}.
     *
     * @throws IllegalArgumentException unless {@code 0 < min <= max}
     */
    public static Backoff atLeast(Duration min, Duration max, RandomGenerator random) {
        if (min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("need 0 < min <= max, got " + min + " and " + max);
        }
        return new Backoff(min.toNanos(), min.toNanos(), max.toNanos(), random);
    }

    /** The ceiling of the delay before attempt {@code attempt}: {@code min(max, initial * 2^attempt)}. */
    public Duration ceiling(long attempt) {
        return Duration.ofNanos(ceilingNanos(attempt));
    }

    /** A random delay in {@code [floor, ceiling(attempt))}, or the floor when the window is empty. */
    public Duration delay(long attempt) {
        long window = ceilingNanos(attempt) - floorNanos;
        return Duration.ofNanos(floorNanos + (window > 0 ? random.nextLong(window) : 0));
    }

    /** The smallest delay this backoff returns. */
    public Duration floor() {
        return Duration.ofNanos(floorNanos);
    }

    /** The largest ceiling. */
    public Duration max() {
        return Duration.ofNanos(maxNanos);
    }

    private long ceilingNanos(long attempt) {
        long shift = Math.min(Math.max(attempt, 0), MAX_SHIFT);
        // The shift loses high bits long before it wraps past max: compare against max >> shift instead.
        return initialNanos > (maxNanos >> shift) ? maxNanos : initialNanos << shift;
    }
}
