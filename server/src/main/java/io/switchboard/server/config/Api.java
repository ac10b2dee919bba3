package io.switchboard.server.config;

import io.switchboard.core.config.Check;
import io.switchboard.core.config.ConfigException;
import io.switchboard.core.config.Secret;
import java.util.List;

/**
 * Backend HTTP API.
 *
 * @param keys accepted API keys; empty means every API call answers 401
 */
public record Api(@Secret List<String> keys) {

    public Api {
        Check.notNull("api.keys", keys);
        keys = List.copyOf(keys);
        for (String key : keys) {
            if (key.length() < 16) {
                throw new ConfigException("api.keys", Check.HIDDEN,
                        "must each have at least 16 characters (one has " + key.length() + ")");
            }
        }
    }

    /** Hides the keys: a config printed in a log must not leak them. */
    @Override
    public String toString() {
        return "Api[keys=(" + Check.HIDDEN + ")]";
    }

    /** The documented defaults. */
    public static Api defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder().keys(keys);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private List<String> keys = List.of();

        private Builder() {
        }

        public Builder keys(List<String> value) {
            keys = value;
            return this;
        }

        public Api build() {
            return new Api(keys);
        }
    }
}
