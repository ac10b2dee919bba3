package io.switchboard.core.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The whole server configuration: immutable, validated at construction. Values come from the
 * defaults below, overridden by a YAML file, then environment variables, then command-line flags
 * (see {@code docs/configuration.md}); every key is listed there with its default.
 *
 * <p>A validation failure throws {@link ConfigException} naming the key, the value and the rule.
 */
public record SwitchboardConfig(
        Server server,
        WebSocket websocket,
        Hub hub,
        History history,
        Shutdown shutdown,
        Api api,
        Redis redis,
        Monitoring monitoring,
        Security security,
        Tracing tracing,
        Cluster cluster,
        Nats nats) {

    /** Shown instead of a secret (API keys, passwords, JWT secret) in messages and {@code toString}. */
    public static final String HIDDEN = "hidden";

    public SwitchboardConfig {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(websocket, "websocket");
        Objects.requireNonNull(hub, "hub");
        Objects.requireNonNull(history, "history");
        Objects.requireNonNull(shutdown, "shutdown");
        Objects.requireNonNull(api, "api");
        Objects.requireNonNull(redis, "redis");
        Objects.requireNonNull(monitoring, "monitoring");
        Objects.requireNonNull(security, "security");
        Objects.requireNonNull(tracing, "tracing");
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(nats, "nats");
    }

    /** A single-node configuration (memory broker), for callers written before scale-out existed. */
    public SwitchboardConfig(Server server, WebSocket websocket, Hub hub, History history, Shutdown shutdown, Api api,
                             Redis redis, Monitoring monitoring, Security security, Tracing tracing) {
        this(server, websocket, hub, history, shutdown, api, redis, monitoring, security, tracing, Cluster.defaults(),
                Nats.defaults());
    }

    /** This configuration with other scale-out settings. */
    public SwitchboardConfig withCluster(Cluster cluster, Redis redis, Nats nats) {
        return new SwitchboardConfig(server, websocket, hub, history, shutdown, api, redis, monitoring, security,
                tracing, cluster, nats);
    }

    /** A configuration with tracing at its defaults (off), for callers written before tracing existed. */
    public SwitchboardConfig(Server server, WebSocket websocket, Hub hub, History history, Shutdown shutdown, Api api,
                             Redis redis, Monitoring monitoring, Security security) {
        this(server, websocket, hub, history, shutdown, api, redis, monitoring, security, Tracing.defaults());
    }

    /** The documented defaults: what {@code switchboard serve} runs with when nothing is configured. */
    public static SwitchboardConfig defaults() {
        return new SwitchboardConfig(Server.defaults(), WebSocket.defaults(), Hub.defaults(), History.defaults(),
                Shutdown.defaults(), Api.defaults(), Redis.defaults(), Monitoring.defaults(), Security.defaults(),
                Tracing.defaults(), Cluster.defaults(), Nats.defaults());
    }

    /**
     * Network listener.
     *
     * @param host address to bind ({@code 0.0.0.0} for all interfaces)
     * @param port TCP port, 0 picks a free one
     * @param ioThreads event loops serving connections; 0 means one per available processor
     * @param nodeId this node's name in {@code welcome} and connection ids; empty means generated
     * @param readTimeout deadline for a complete HTTP request (API calls) once its first byte arrived
     * @param idleTimeout an HTTP keep-alive connection idle this long is closed (WebSockets excluded)
     * @param maxRequestBytes largest HTTP request body the API accepts
     */
    public record Server(String host, int port, int ioThreads, String nodeId, Duration readTimeout,
                         Duration idleTimeout, int maxRequestBytes) {
        public Server {
            Check.notBlank("server.host", host);
            Check.range("server.port", port, 0, 65535);
            Check.range("server.ioThreads", ioThreads, 0, 1024);
            Check.notNull("server.nodeId", nodeId);
            if (!nodeId.isEmpty() && !nodeId.matches("[A-Za-z0-9_.-]{1,32}")) {
                throw new ConfigException("server.nodeId", nodeId, "must match [A-Za-z0-9_.-]{1,32}");
            }
            Check.positive("server.readTimeout", readTimeout);
            Check.positive("server.idleTimeout", idleTimeout);
            Check.range("server.maxRequestBytes", maxRequestBytes, 1024, 16 * 1024 * 1024);
        }

        public static Server defaults() {
            return new Server("0.0.0.0", 8080, 0, "", Duration.ofSeconds(15), Duration.ofSeconds(60), 1024 * 1024);
        }
    }

    /**
     * WebSocket endpoint, heartbeats and per-connection limits.
     *
     * @param path upgrade path
     * @param maxConnections global cap; upgrades beyond it get 503
     * @param readBufferBytes socket receive buffer (SO_RCVBUF); 0 keeps the OS default
     * @param writeBufferBytes socket send buffer (SO_SNDBUF); 0 keeps the OS default
     * @param handshakeTimeout deadline from accept to completed upgrade
     * @param pingInterval how often the server pings; must be shorter than pongTimeout
     * @param pongTimeout a connection silent this long (not even a pong) is closed with 1001
     * @param writeWait a connection whose writes stay pending this long is closed with 4008
     * @param maxFrameBytes largest single frame payload; larger closes with 1009
     * @param maxMessageBytes largest message after joining fragments; larger closes with 1009
     * @param maxQueuedBytes outbound bytes queued for one connection before it is closed with 4008; while direct
     *                       memory is above 75% of its limit, 64 KiB (or this, if smaller) is enough
     * @param maxRoomsPerConnection joins beyond this answer {@code too_many_rooms}
     * @param maxInvalidMessages invalid commands tolerated per connection before close 1008
     * @param enableCompression negotiate permessage-deflate
     * @param maxFragmentsPerMessage frames one message may arrive in; more closes with 1008
     * @param messageAssemblyTimeout a fragmented message not complete this long after its first frame closes with 1008
     */
    public record WebSocket(String path, int maxConnections, int readBufferBytes, int writeBufferBytes,
                            Duration handshakeTimeout, Duration pingInterval, Duration pongTimeout,
                            Duration writeWait, int maxFrameBytes, int maxMessageBytes, int maxQueuedBytes,
                            int maxRoomsPerConnection, int maxInvalidMessages, boolean enableCompression,
                            int maxFragmentsPerMessage, Duration messageAssemblyTimeout) {
        /** Default {@code maxFragmentsPerMessage}. */
        public static final int DEFAULT_MAX_FRAGMENTS_PER_MESSAGE = 1024;
        /** Default {@code messageAssemblyTimeout}. */
        public static final Duration DEFAULT_MESSAGE_ASSEMBLY_TIMEOUT = Duration.ofSeconds(10);

        /** With the default fragment limits. */
        public WebSocket(String path, int maxConnections, int readBufferBytes, int writeBufferBytes,
                         Duration handshakeTimeout, Duration pingInterval, Duration pongTimeout,
                         Duration writeWait, int maxFrameBytes, int maxMessageBytes, int maxQueuedBytes,
                         int maxRoomsPerConnection, int maxInvalidMessages, boolean enableCompression) {
            this(path, maxConnections, readBufferBytes, writeBufferBytes, handshakeTimeout, pingInterval, pongTimeout,
                    writeWait, maxFrameBytes, maxMessageBytes, maxQueuedBytes, maxRoomsPerConnection,
                    maxInvalidMessages, enableCompression, DEFAULT_MAX_FRAGMENTS_PER_MESSAGE,
                    DEFAULT_MESSAGE_ASSEMBLY_TIMEOUT);
        }

        public WebSocket {
            Check.notNull("websocket.path", path);
            if (!path.matches("/[A-Za-z0-9_./-]*")) {
                throw new ConfigException("websocket.path", path, "must start with / and use [A-Za-z0-9_./-]");
            }
            Check.range("websocket.maxConnections", maxConnections, 1, 10_000_000);
            Check.range("websocket.readBufferBytes", readBufferBytes, 0, 64 * 1024 * 1024);
            Check.range("websocket.writeBufferBytes", writeBufferBytes, 0, 64 * 1024 * 1024);
            Check.positive("websocket.handshakeTimeout", handshakeTimeout);
            Check.positive("websocket.pingInterval", pingInterval);
            Check.positive("websocket.pongTimeout", pongTimeout);
            Check.positive("websocket.writeWait", writeWait);
            if (pingInterval.compareTo(pongTimeout) >= 0) {
                throw new ConfigException("websocket.pingInterval (" + Check.format(pingInterval)
                        + ") must be shorter than websocket.pongTimeout (" + Check.format(pongTimeout) + ")");
            }
            Check.range("websocket.maxFrameBytes", maxFrameBytes, 125, 64 * 1024 * 1024);
            Check.range("websocket.maxMessageBytes", maxMessageBytes, 125, 64 * 1024 * 1024);
            if (maxFrameBytes > maxMessageBytes) {
                throw new ConfigException("websocket.maxFrameBytes (" + maxFrameBytes
                        + ") must not exceed websocket.maxMessageBytes (" + maxMessageBytes + ")");
            }
            Check.range("websocket.maxQueuedBytes", maxQueuedBytes, 1024, 1024 * 1024 * 1024);
            Check.range("websocket.maxRoomsPerConnection", maxRoomsPerConnection, 1, 100_000);
            Check.range("websocket.maxInvalidMessages", maxInvalidMessages, 1, 1_000_000);
            Check.range("websocket.maxFragmentsPerMessage", maxFragmentsPerMessage, 1, 1_000_000);
            Check.positive("websocket.messageAssemblyTimeout", messageAssemblyTimeout);
        }

        public static WebSocket defaults() {
            return new WebSocket("/ws", 100_000, 0, 0, Duration.ofSeconds(10), Duration.ofSeconds(25),
                    Duration.ofSeconds(60), Duration.ofSeconds(10), 65536, 65536, 1024 * 1024, 100, 10, false);
        }
    }

    /**
     * Hub behaviour.
     *
     * @param notifyGlobalPresence send {@code user_joined}/{@code user_left} to every connection (O(N) per connect)
     * @param maxRoomMembers joins beyond this answer {@code room_full}
     * @param maxPendingFanouts delivery tasks queued per event loop before publishes answer {@code unavailable}
     * @param flushInterval least time between two flushes of fan-out frames to one connection (0 to 1s); 0
     *     flushes as soon as the event loop is free. Longer gathers more frames per system call: less CPU per
     *     delivery under heavy fan-out, at up to this much added latency (plus a tenth)
     */
    public record Hub(boolean notifyGlobalPresence, int maxRoomMembers, int maxPendingFanouts,
                      Duration flushInterval) {
        public Hub {
            Check.range("hub.maxRoomMembers", maxRoomMembers, 1, 10_000_000);
            Check.range("hub.maxPendingFanouts", maxPendingFanouts, 16, 10_000_000);
            Check.range("hub.flushInterval", flushInterval, Duration.ZERO, Duration.ofSeconds(1));
        }

        /** Without a flush interval. */
        public Hub(boolean notifyGlobalPresence, int maxRoomMembers, int maxPendingFanouts) {
            this(notifyGlobalPresence, maxRoomMembers, maxPendingFanouts, Duration.ZERO);
        }

        public static Hub defaults() {
            return new Hub(false, 1_000_000, 65536, Duration.ZERO);
        }
    }

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

        public static History defaults() {
            return new History(100, Duration.ofMinutes(5));
        }
    }

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

        public static Shutdown defaults() {
            return new Shutdown(Duration.ofSeconds(10));
        }
    }

    /**
     * Backend HTTP API.
     *
     * @param keys accepted API keys; empty means every API call answers 401
     */
    public record Api(List<String> keys) {
        public Api {
            Check.notNull("api.keys", keys);
            keys = List.copyOf(keys);
            for (String key : keys) {
                if (key.length() < 16) {
                    throw new ConfigException("api.keys", HIDDEN,
                            "must each have at least 16 characters (one has " + key.length() + ")");
                }
            }
        }

        /** Hides the keys: a config printed in a log must not leak them. */
        @Override
        public String toString() {
            return "Api[keys=(" + HIDDEN + ")]";
        }

        public static Api defaults() {
            return new Api(List.of());
        }
    }

    /**
     * Redis connection for scale-out.
     *
     * @param host Redis server host
     * @param port Redis server port
     * @param password Redis password; empty means no AUTH
     * @param db Redis database index
     */
    public record Redis(String host, int port, String password, int db) {
        public Redis {
            Check.notBlank("redis.host", host);
            Check.range("redis.port", port, 1, 65535);
            Check.notNull("redis.password", password);
            Check.range("redis.db", db, 0, 15);
        }

        /** Hides the password: a config printed in a log must not leak it. */
        @Override
        public String toString() {
            return "Redis[host=" + host + ", port=" + port + ", password=(" + HIDDEN + "), db=" + db + "]";
        }

        public static Redis defaults() {
            return new Redis("127.0.0.1", 6379, "", 0);
        }
    }

    /**
     * Scale-out: how the nodes of a cluster exchange messages and share history and presence.
     *
     * @param broker how nodes exchange messages: {@code memory} (a single node), {@code redis} or {@code nats}
     * @param history where room history and offsets live: {@code memory}, {@code redis}, or {@code auto}
     *     (redis with a redis or nats broker, memory otherwise)
     * @param presence where presence lives: {@code memory}, {@code redis}, or {@code auto} (as for history)
     * @param timeout deadline of each call to Redis or NATS
     * @param maxPending calls to Redis or NATS in flight at once; beyond, publishes answer {@code unavailable}
     * @param breakerOpenDuration how long the circuit breaker fails calls fast before it probes again
     * @param gapTimeout how long a node waits for a missing offset before reading it from history
     * @param presenceTtl a node's presence entries expire this long after its last refresh
     * @param tailCheckInterval how often a node compares each quiet room it serves with the room's history,
     *     to deliver messages whose publishing node died before relaying them
     */
    public record Cluster(String broker, String history, String presence, Duration timeout, int maxPending,
                          Duration breakerOpenDuration, Duration gapTimeout, Duration presenceTtl,
                          Duration tailCheckInterval) {
        private static final List<String> BROKERS = List.of("memory", "redis", "nats");
        private static final List<String> STORES = List.of("auto", "memory", "redis");

        public Cluster {
            Check.oneOf("cluster.broker", broker, BROKERS);
            Check.oneOf("cluster.history", history, STORES);
            Check.oneOf("cluster.presence", presence, STORES);
            Check.positive("cluster.timeout", timeout);
            Check.range("cluster.maxPending", maxPending, 1, 10_000_000);
            Check.positive("cluster.breakerOpenDuration", breakerOpenDuration);
            Check.positive("cluster.gapTimeout", gapTimeout);
            Check.positive("cluster.presenceTtl", presenceTtl);
            Check.positive("cluster.tailCheckInterval", tailCheckInterval);
            if (!broker.equals("memory")) {
                // Offsets must be shared by every node; a per-node store would number the same room twice.
                if (history.equals("memory")) {
                    throw new ConfigException("cluster.history", history,
                            "must be redis (or auto) when cluster.broker is " + broker
                                    + ": every node must share the offsets");
                }
                if (presence.equals("memory")) {
                    throw new ConfigException("cluster.presence", presence,
                            "must be redis (or auto) when cluster.broker is " + broker
                                    + ": every node must see every member");
                }
            }
        }

        /** Whether several nodes share the work (any broker but memory). */
        public boolean distributed() {
            return !broker.equals("memory");
        }

        /** The history store in use: {@code memory} or {@code redis}. */
        public String historyStore() {
            return resolve(history);
        }

        /** The presence store in use: {@code memory} or {@code redis}. */
        public String presenceStore() {
            return resolve(presence);
        }

        private String resolve(String store) {
            return store.equals("auto") ? (distributed() ? "redis" : "memory") : store;
        }

        public static Cluster defaults() {
            return new Cluster("memory", "auto", "auto", Duration.ofSeconds(1), 10_000, Duration.ofSeconds(5),
                    Duration.ofMillis(200), Duration.ofSeconds(30), Duration.ofSeconds(5));
        }
    }

    /**
     * NATS connection for scale-out.
     *
     * @param servers NATS server URLs ({@code nats://host:port} or {@code tls://host:port})
     */
    public record Nats(List<String> servers) {
        public Nats {
            Check.notNull("nats.servers", servers);
            servers = List.copyOf(servers);
            if (servers.isEmpty()) {
                throw new ConfigException("nats.servers", "[]", "must name at least one server");
            }
            for (String url : servers) {
                if (!url.matches("(nats|tls)://[^\\s/]+(:\\d{1,5})?/?")) {
                    throw new ConfigException("nats.servers", url, "must be nats://host:port or tls://host:port");
                }
            }
        }

        public static Nats defaults() {
            return new Nats(List.of("nats://127.0.0.1:4222"));
        }
    }

    /**
     * Metrics endpoint.
     *
     * @param enabled record metrics and serve them in the Prometheus text format; false records nothing
     * @param port separate port for metrics, health and readiness (loopback-only setups, scrapers on
     *     another network); 0 means the server port
     * @param metricsPath path of the Prometheus endpoint
     */
    public record Monitoring(boolean enabled, int port, String metricsPath) {
        public Monitoring {
            Check.range("monitoring.port", port, 0, 65535);
            Check.notNull("monitoring.metricsPath", metricsPath);
            if (!metricsPath.startsWith("/")) {
                throw new ConfigException("monitoring.metricsPath", metricsPath, "must start with /");
            }
        }

        public static Monitoring defaults() {
            return new Monitoring(true, 0, "/metrics");
        }
    }

    /**
     * OpenTelemetry tracing.
     *
     * @param endpoint OTLP/HTTP traces endpoint (e.g. {@code http://collector:4318/v1/traces}); empty turns
     *     tracing off, at no cost
     * @param serviceName the {@code service.name} resource attribute of exported spans
     * @param samplePercent share of new traces recorded (upgrades without a sampled parent)
     */
    public record Tracing(String endpoint, String serviceName, int samplePercent) {
        public Tracing {
            Check.notNull("tracing.endpoint", endpoint);
            if (!endpoint.isEmpty() && !endpoint.matches("https?://.+")) {
                throw new ConfigException("tracing.endpoint", endpoint, "must be an http:// or https:// URL");
            }
            Check.notBlank("tracing.serviceName", serviceName);
            Check.range("tracing.samplePercent", samplePercent, 0, 100);
        }

        /** Whether spans are recorded and exported. */
        public boolean enabled() {
            return !endpoint.isEmpty();
        }

        public static Tracing defaults() {
            return new Tracing("", "switchboard", 100);
        }
    }
}
