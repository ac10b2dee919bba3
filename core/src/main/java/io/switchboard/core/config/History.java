package io.switchboard.core.config;

import java.time.Duration;

/**
 * Room history backing offsets and recovery.
 *
 * @param size messages kept per room
 * @param ttl messages older than this are dropped
 */
public record History(int size, Duration ttl) {

    public History {
        Check.range("history.size", size, 0, 1_000_000);
        Check.positive("history.ttl", ttl);
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
        return new Builder().size(size).ttl(ttl);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private int size = 100;
        private Duration ttl = Duration.ofMinutes(5);

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

        public History build() {
            return new History(size, ttl);
        }
    }
}
