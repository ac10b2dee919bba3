package io.switchboard.redis;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where the Redis of a cluster is and how to talk to it. Immutable.
 *
 * @param host the Redis host name or address
 * @param port the Redis port, 1..65535
 * @param password the password of the {@code default} user, or null when Redis has none
 * @param db the logical database for history and presence keys, {@code >= 0}; pub/sub channels are
 *     global to a Redis server, so the broker's channels are kept apart by {@code keyPrefix} only
 * @param timeout how long one command (and the TCP connect) may take before it fails; positive
 * @param keyPrefix prepended to every key and channel, so that several clusters can share one Redis;
 *     may be empty, must not contain braces (they would break the {@code {room}} hash tags)
 */
public record RedisSettings(String host, int port, String password, int db, Duration timeout, String keyPrefix) {

    /** Command timeout when none is given: long enough for a healthy Redis, short enough to fail fast. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);

    /** Key and channel prefix when none is given. */
    public static final String DEFAULT_KEY_PREFIX = "switchboard:";

    /** The characters of room and channel names, plus nothing that could open a hash tag. */
    private static final Pattern KEY_PREFIX = Pattern.compile("[A-Za-z0-9_.:@/-]*");

    public RedisSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be in 1..65535, was " + port);
        }
        if (db < 0) {
            throw new IllegalArgumentException("db must be >= 0, was " + db);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        if (!KEY_PREFIX.matcher(keyPrefix).matches()) {
            throw new IllegalArgumentException("keyPrefix may only contain [A-Za-z0-9_.:@/-], was '" + keyPrefix + "'");
        }
        if (password != null && password.isEmpty()) {
            throw new IllegalArgumentException("password must be null or non-empty");
        }
    }

    /** Redis at {@code host:port}, no password, database 0, the default timeout and key prefix. */
    public RedisSettings(String host, int port) {
        this(host, port, null, 0, DEFAULT_TIMEOUT, DEFAULT_KEY_PREFIX);
    }

    /** A copy with another password (null for none). */
    public RedisSettings withPassword(String password) {
        return new RedisSettings(host, port, password, db, timeout, keyPrefix);
    }

    /** A copy with another database. */
    public RedisSettings withDb(int db) {
        return new RedisSettings(host, port, password, db, timeout, keyPrefix);
    }

    /** A copy with another command timeout. */
    public RedisSettings withTimeout(Duration timeout) {
        return new RedisSettings(host, port, password, db, timeout, keyPrefix);
    }

    /** A copy with another key prefix. */
    public RedisSettings withKeyPrefix(String keyPrefix) {
        return new RedisSettings(host, port, password, db, timeout, keyPrefix);
    }

    /** {@code host:port/db}, for logs and health checks; never the password. */
    public String address() {
        return host + ":" + port + "/" + db;
    }

    /** Like the record's own, with the password masked so that settings can be logged. */
    @Override
    public String toString() {
        return "RedisSettings[host=" + host + ", port=" + port + ", password=" + (password == null ? "none" : "***")
                + ", db=" + db + ", timeout=" + timeout + ", keyPrefix=" + keyPrefix + "]";
    }
}
