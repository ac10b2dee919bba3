package io.switchboard.redis;

import io.switchboard.core.config.Check;
import io.switchboard.core.config.ConfigException;
import io.switchboard.core.config.Secret;
import java.time.Duration;

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
 * @param probeInterval how often the broker publishes a probe to itself through Redis, proving that its
 *     subscription still receives; 0 turns the probe off
 * @param probeTimeout a probe not received within this long marks the broker down ({@code /health} failing,
 *     {@code /ready} 503) and renews its subscription on a fresh connection
 */
public record RedisSettings(String host, int port, @Secret String password, int db, String keyPrefix,
                            Duration probeInterval, Duration probeTimeout) {

    public RedisSettings {
        Check.notBlank("redis.host", host);
        Check.range("redis.port", port, 1, 65535);
        Check.notNull("redis.password", password);
        Check.range("redis.db", db, 0, 15);
        Check.notNull("redis.keyPrefix", keyPrefix);
        if (!keyPrefix.matches("[A-Za-z0-9_.:@/-]*")) {
            throw new ConfigException("redis.keyPrefix", keyPrefix, "may only contain [A-Za-z0-9_.:@/-]");
        }
        Check.range("redis.probeInterval", probeInterval, Duration.ZERO, Duration.ofMinutes(1));
        Check.range("redis.probeTimeout", probeTimeout, Duration.ofMillis(100), Duration.ofMinutes(1));
    }

    /** Whether the self-delivery probe runs. */
    public boolean probing() {
        return !probeInterval.isZero();
    }

    /** {@code host:port/db}, for logs and health checks; never the password. */
    public String address() {
        return host + ":" + port + "/" + db;
    }

    /** Hides the password: settings printed in a log must not leak it. */
    @Override
    public String toString() {
        return "RedisSettings[host=" + host + ", port=" + port + ", password=(" + Check.HIDDEN + "), db=" + db
                + ", keyPrefix=" + keyPrefix + ", probeInterval=" + Check.format(probeInterval) + ", probeTimeout="
                + Check.format(probeTimeout) + "]";
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
        return new Builder().host(host).port(port).password(password).db(db).keyPrefix(keyPrefix)
                .probeInterval(probeInterval).probeTimeout(probeTimeout);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 6379;
        private String password = "";
        private int db;
        private String keyPrefix = "switchboard:";
        private Duration probeInterval = Duration.ofSeconds(1);
        private Duration probeTimeout = Duration.ofSeconds(3);

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

        public Builder probeInterval(Duration value) {
            probeInterval = value;
            return this;
        }

        public Builder probeTimeout(Duration value) {
            probeTimeout = value;
            return this;
        }

        public RedisSettings build() {
            return new RedisSettings(host, port, password, db, keyPrefix, probeInterval, probeTimeout);
        }
    }
}
