package io.switchboard.core.config;

import java.time.Duration;

/**
 * Room history backing offsets and recovery.
 *
 * @param size messages kept per room
 * @param ttl messages older than this are dropped
 * @param idempotencyWindow how long a publish's {@code idempotencyKey} is remembered: a repeat within it, to the
 *     same room, is neither stored nor delivered again and gets the first publish's offset
 */
public record History(int size, Duration ttl, Duration idempotencyWindow) {

    public History {
        Check.range("history.size", size, 0, 1_000_000);
        Check.positive("history.ttl", ttl);
        Check.range("history.idempotencyWindow", idempotencyWindow, Duration.ofSeconds(1), Duration.ofHours(1));
    }

    /** The documented defaults. */
    public static History defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder().size(size).ttl(ttl).idempotencyWindow(idempotencyWindow);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private int size = 100;
        private Duration ttl = Duration.ofMinutes(5);
        private Duration idempotencyWindow = Duration.ofMinutes(2);

        private Builder() {
        }

        public Builder size(int value) {
            size = value;
            return this;
        }

        public Builder ttl(Duration value) {
            ttl = value;
            return this;
        }

        public Builder idempotencyWindow(Duration value) {
            idempotencyWindow = value;
            return this;
        }

        public History build() {
            return new History(size, ttl, idempotencyWindow);
        }
    }
}
