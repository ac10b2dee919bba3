package io.switchboard.server.config;

import io.switchboard.core.config.Check;
import io.switchboard.core.config.ConfigException;
import java.time.Duration;

/**
 * Graceful shutdown.
 *
 * @param drainTimeout window over which connections get {@code server_shutdown} and close 1012
 */
public record Shutdown(Duration drainTimeout) {

    public Shutdown {
        Check.notNull("shutdown.drainTimeout", drainTimeout);
        if (drainTimeout.isNegative()) {
            throw new ConfigException("shutdown.drainTimeout", Check.format(drainTimeout), "must not be negative");
        }
    }

    /** The documented defaults. */
    public static Shutdown defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder().drainTimeout(drainTimeout);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private Duration drainTimeout = Duration.ofSeconds(10);

        private Builder() {
        }

        public Builder drainTimeout(Duration value) {
            drainTimeout = value;
            return this;
        }

        public Shutdown build() {
            return new Shutdown(drainTimeout);
        }
    }
}
