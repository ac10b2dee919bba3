package io.switchboard.redis;

import io.switchboard.core.config.Check;
import io.switchboard.core.config.ConfigException;
import io.switchboard.core.config.Secret;

/**
 * Redis connection for scale-out. The {@code redis} section of the configuration, owned by this adapter.
 * Immutable; validated at construction, a value that breaks its rule throws {@link ConfigException} naming
 * the key, the value and the rule. The deadline of each command is not here: it is the cluster's
 * ({@code cluster.timeout}), handed to the broker and stores with these settings.
 *
 * @param host Redis server host
 * @param port Redis server port
 * @param password Redis password; empty means no AUTH
 * @param db Redis database index
 * @param keyPrefix prepended to every key and channel, so that several clusters can share one Redis; may be
 *     empty, and may not contain braces (they would break the hash tags that keep a room's keys together)
 */
public record RedisSettings(String host, int port, @Secret String password, int db, String keyPrefix) {

    public RedisSettings {
        Check.notBlank("redis.host", host);
        Check.range("redis.port", port, 1, 65535);
        Check.notNull("redis.password", password);
        Check.range("redis.db", db, 0, 15);
        Check.notNull("redis.keyPrefix", keyPrefix);
        if (!keyPrefix.matches("[A-Za-z0-9_.:@/-]*")) {
            throw new ConfigException("redis.keyPrefix", keyPrefix, "may only contain [A-Za-z0-9_.:@/-]");
        }
    }

    /** {@code host:port/db}, for logs and health checks; never the password. */
    public String address() {
        return host + ":" + port + "/" + db;
    }

    /** Hides the password: settings printed in a log must not leak it. */
    @Override
    public String toString() {
        return "RedisSettings[host=" + host + ", port=" + port + ", password=(" + Check.HIDDEN + "), db=" + db
                + ", keyPrefix=" + keyPrefix + "]";
    }

    /** The documented defaults. */
    public static RedisSettings defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder().host(host).port(port).password(password).db(db).keyPrefix(keyPrefix);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 6379;
        private String password = "";
        private int db;
        private String keyPrefix = "switchboard:";

        private Builder() {
        }

        public Builder host(String value) {
            host = value;
            return this;
        }

        public Builder port(int value) {
            port = value;
            return this;
        }

        public Builder password(String value) {
            password = value;
            return this;
        }

        public Builder db(int value) {
            db = value;
            return this;
        }

        public Builder keyPrefix(String value) {
            keyPrefix = value;
            return this;
        }

        public RedisSettings build() {
            return new RedisSettings(host, port, password, db, keyPrefix);
        }
    }
}
