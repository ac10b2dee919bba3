package io.switchboard.redis;

import io.switchboard.core.config.Check;
import io.switchboard.core.config.ConfigException;
import io.switchboard.core.config.Secret;
import java.time.Duration;
import java.util.List;

/**
 * Redis connection for scale-out. The {@code redis} section of the configuration, owned by this adapter.
 * Immutable; validated at construction, a value that breaks its rule throws {@link ConfigException} naming
 * the key, the value and the rule. The deadline of each command is not here: it is the cluster's
 * ({@code cluster.timeout}), handed to the broker and stores with these settings.
 *
 * @param mode {@code standalone} (one server at {@code host}:{@code port}), {@code sentinel} (the master
 *     of {@code masterName} as the {@code sentinels} report it, followed through failovers) or {@code cluster}
 *     (a Redis Cluster found from the {@code nodes}; rooms travel over sharded pub/sub, Redis 7 or later)
 * @param host Redis server host ({@code standalone})
 * @param port Redis server port ({@code standalone})
 * @param sentinels Sentinel addresses as {@code host:port} ({@code sentinel} mode; at least one)
 * @param masterName the master group the Sentinels monitor ({@code sentinel} mode)
 * @param nodes seed addresses of a Redis Cluster as {@code host:port} ({@code cluster} mode; at least one, the
 *     rest of the cluster is discovered from them)
 * @param username ACL user; empty means the default user
 * @param password Redis password; empty means no AUTH
 * @param db Redis database index; must be 0 in {@code cluster} mode (a Redis Cluster has only database 0)
 * @param keyPrefix prepended to every key and channel, so that several clusters can share one Redis; may be
 *     empty, and may not contain braces (they would break the hash tags that keep a room's keys together)
 * @param tls connect with TLS (to the Redis servers; Sentinels are asked over TLS too)
 * @param tlsCaFile PEM file of the CA that signed the servers' certificates; empty trusts the JVM's CAs
 * @param replicaAcks replicas that must confirm each history append before it is acknowledged (Redis
 *     {@code WAIT}); 0 acknowledges at once. With Sentinel, 1 keeps a failover from losing acknowledged
 *     messages, at the cost of one replication round trip per publish
 * @param probeInterval how often the broker publishes a probe to itself through Redis, proving that its
 *     subscription still receives; 0 turns the probe off
 * @param probeTimeout a probe not received within this long marks the broker down ({@code /health} failing,
 *     {@code /ready} 503) and renews its subscription on a fresh connection
 */
public record RedisSettings(String mode, String host, int port, List<String> sentinels, String masterName,
                            List<String> nodes, String username, @Secret String password, int db, String keyPrefix, boolean tls,
                            String tlsCaFile, int replicaAcks, Duration probeInterval, Duration probeTimeout) {

    /** The modes {@code redis.mode} accepts. */
    public static final List<String> MODES = List.of("standalone", "sentinel", "cluster");

    public RedisSettings {
        Check.oneOf("redis.mode", mode, MODES);
        Check.notBlank("redis.host", host);
        Check.range("redis.port", port, 1, 65535);
        Check.notNull("redis.sentinels", sentinels);
        sentinels = List.copyOf(sentinels);
        for (String sentinel : sentinels) {
            parseHostPort("redis.sentinels", sentinel);
        }
        if (mode.equals("sentinel") && sentinels.isEmpty()) {
            throw new ConfigException("redis.sentinels", "[]", "must name at least one Sentinel when redis.mode is sentinel");
        }
        Check.notBlank("redis.masterName", masterName);
        Check.notNull("redis.nodes", nodes);
        nodes = List.copyOf(nodes);
        for (String node : nodes) {
            parseHostPort("redis.nodes", node);
        }
        if (mode.equals("cluster") && nodes.isEmpty()) {
            throw new ConfigException("redis.nodes", "[]", "must name at least one node when redis.mode is cluster");
        }
        Check.notNull("redis.username", username);
        Check.notNull("redis.password", password);
        if (!username.isEmpty() && password.isEmpty()) {
            throw new ConfigException("redis.username", username, "needs redis.password");
        }
        Check.notNull("redis.tlsCaFile", tlsCaFile);
        if (!tlsCaFile.isEmpty() && !tls) {
            throw new ConfigException("redis.tlsCaFile", tlsCaFile, "is used only with redis.tls: true");
        }
        Check.range("redis.db", db, 0, 15);
        if (mode.equals("cluster") && db != 0) {
            throw new ConfigException("redis.db", Integer.toString(db), "must be 0 when redis.mode is cluster");
        }
        Check.notNull("redis.keyPrefix", keyPrefix);
        if (!keyPrefix.matches("[A-Za-z0-9_.:@/-]*")) {
            throw new ConfigException("redis.keyPrefix", keyPrefix, "may only contain [A-Za-z0-9_.:@/-]");
        }
        Check.range("redis.replicaAcks", replicaAcks, 0, 10);
        Check.range("redis.probeInterval", probeInterval, Duration.ZERO, Duration.ofMinutes(1));
        Check.range("redis.probeTimeout", probeTimeout, Duration.ofMillis(100), Duration.ofMinutes(1));
    }

    /** Whether the self-delivery probe runs. */
    public boolean probing() {
        return !probeInterval.isZero();
    }

    /**
     * Where Redis is, for logs and health checks, never the password: {@code host:port/db},
     * {@code sentinel masterName@h1:p1,h2:p2/db} or {@code cluster h1:p1,h2:p2}.
     */
    public String address() {
        if (cluster()) {
            return "cluster " + String.join(",", nodes);
        }
        return sentinel() ? "sentinel " + masterName + "@" + String.join(",", sentinels) + "/" + db
                : host + ":" + port + "/" + db;
    }

    /** Whether Redis is a Redis Cluster. */
    public boolean cluster() {
        return mode.equals("cluster");
    }

    /** Whether the master is found through Sentinels. */
    public boolean sentinel() {
        return mode.equals("sentinel");
    }

    /** Splits {@code host:port}; throws {@link ConfigException} naming {@code key} when it is not one. */
    static HostPort parseHostPort(String key, String address) {
        int colon = address == null ? -1 : address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new ConfigException(key, address, "each must be host:port");
        }
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ConfigException(key, address, "each must be host:port");
        }
        if (port < 1 || port > 65535) {
            throw new ConfigException(key, address, "port must be between 1 and 65535");
        }
        return new HostPort(address.substring(0, colon), port);
    }

    /** One {@code host:port} of {@link #sentinels()} or {@link #nodes()}. */
    record HostPort(String host, int port) {
    }

    /** Hides the password: settings printed in a log must not leak it. */
    @Override
    public String toString() {
        return "RedisSettings[mode=" + mode + ", host=" + host + ", port=" + port + ", sentinels=" + sentinels
                + ", masterName=" + masterName + ", nodes=" + nodes + ", username=" + username + ", password=(" + Check.HIDDEN + "), db=" + db
                + ", keyPrefix=" + keyPrefix + ", tls=" + tls + ", tlsCaFile=" + tlsCaFile + ", replicaAcks=" + replicaAcks + ", probeInterval=" + Check.format(probeInterval) + ", probeTimeout="
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
        return new Builder().mode(mode).host(host).port(port).sentinels(sentinels).masterName(masterName)
                .nodes(nodes).username(username).password(password).db(db).keyPrefix(keyPrefix).tls(tls).tlsCaFile(tlsCaFile)
                .replicaAcks(replicaAcks).probeInterval(probeInterval).probeTimeout(probeTimeout);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private String mode = "standalone";
        private String host = "127.0.0.1";
        private int port = 6379;
        private List<String> sentinels = List.of();
        private String masterName = "mymaster";
        private List<String> nodes = List.of();
        private String username = "";
        private String password = "";
        private boolean tls;
        private String tlsCaFile = "";
        private int replicaAcks;
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

        public Builder mode(String value) {
            mode = value;
            return this;
        }

        public Builder sentinels(List<String> value) {
            sentinels = value;
            return this;
        }

        public Builder masterName(String value) {
            masterName = value;
            return this;
        }

        public Builder nodes(List<String> value) {
            nodes = value;
            return this;
        }

        public Builder username(String value) {
            username = value;
            return this;
        }

        public Builder tls(boolean value) {
            tls = value;
            return this;
        }

        public Builder tlsCaFile(String value) {
            tlsCaFile = value;
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

        public Builder replicaAcks(int value) {
            replicaAcks = value;
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
            return new RedisSettings(mode, host, port, sentinels, masterName, nodes, username, password, db, keyPrefix, tls,
                    tlsCaFile, replicaAcks, probeInterval, probeTimeout);
        }
    }
}
