package io.switchboard.server.config;

import io.switchboard.core.config.Check;
import io.switchboard.core.config.ConfigException;
import io.switchboard.core.config.Secret;

/**
 * Admin console: a page at {@code /admin} that shows and steers the node through the backend API.
 *
 * @param enabled serve the admin console at {@code /admin}, on the monitoring port when {@code monitoring.port}
 *     is set (which then also answers the API the console calls), else on the server port
 * @param password a credential the backend API accepts besides {@code api.keys}, for signing in to the
 *     console without handing out an API key; at least 16 characters; empty means API keys only
 */
public record Admin(boolean enabled, @Secret String password) {

    public Admin {
        Check.notNull("admin.password", password);
        if (!password.isEmpty() && password.length() < 16) {
            throw new ConfigException("admin.password", Check.HIDDEN,
                    "must have at least 16 characters (has " + password.length() + ")");
        }
    }

    /** Hides the password: a config printed in a log must not leak it. */
    @Override
    public String toString() {
        return "Admin[enabled=" + enabled + ", password=(" + Check.HIDDEN + ")]";
    }

    /** The documented defaults. */
    public static Admin defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder().enabled(enabled).password(password);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private boolean enabled;
        private String password = "";

        private Builder() {
        }

        public Builder enabled(boolean value) {
            enabled = value;
            return this;
        }

        public Builder password(String value) {
            password = value;
            return this;
        }

        public Admin build() {
            return new Admin(enabled, password);
        }
    }
}
