package io.switchboard.core.config;

import java.time.Duration;

/**
 * Validation helpers for the config section records of every module; each failure names the key, the
 * value and the rule. {@link #format(Duration)} is public so the config loader prints durations the same way.
 */
public final class Check {
    /** Shown instead of a secret (API keys, passwords, JWT secret) in messages and {@code toString}. */
    public static final String HIDDEN = "hidden";

    private Check() {
    }

    public static void notNull(String key, Object value) {
        if (value == null) {
            throw new ConfigException(key + " is required");
        }
    }

    public static void notBlank(String key, String value) {
        notNull(key, value);
        if (value.isBlank()) {
            throw new ConfigException(key + " must not be empty");
        }
    }

    public static void oneOf(String key, String value, java.util.List<String> allowed) {
        notNull(key, value);
        if (!allowed.contains(value)) {
            throw new ConfigException(key, value, "must be one of " + String.join(", ", allowed));
        }
    }

    public static void range(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new ConfigException(key, value, "must be between " + min + " and " + max);
        }
    }

    /** {@code value} within {@code [min, max]}; the rule names both as config files write them. */
    public static void range(String key, Duration value, Duration min, Duration max) {
        notNull(key, value);
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new ConfigException(key, format(value), "must be between " + format(min) + " and " + format(max));
        }
    }

    public static void positive(String key, Duration value) {
        notNull(key, value);
        if (value.isNegative() || value.isZero()) {
            throw new ConfigException(key, format(value), "must be positive");
        }
    }

    /**
     * Formats a duration the way config files write it: {@code 70s}, {@code 250ms}, {@code 5m},
     * {@code 2h}, {@code 3d}: the largest unit that divides it exactly and counts at least two of
     * it, so {@code 60s} stays {@code 60s} (as the protocol documents it) and {@code 120s} is {@code 2m}.
     */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 86_400_000 == 0 && ms >= 2 * 86_400_000) {
            return (ms / 86_400_000) + "d";
        }
        if (ms % 3_600_000 == 0 && ms >= 2 * 3_600_000) {
            return (ms / 3_600_000) + "h";
        }
        if (ms % 60_000 == 0 && ms >= 2 * 60_000) {
            return (ms / 60_000) + "m";
        }
        if (ms % 1000 == 0) {
            return (ms / 1000) + "s";
        }
        return ms + "ms";
    }
}
