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
     * Authentication, origins, TLS and abuse limits. See {@code docs/security.md} for the threat model.
     *
     * @param requireAuth reject WebSocket upgrades without a valid JWT; the user id is then the token's {@code sub}
     * @param jwtSecret HMAC secret that verifies HS256/HS384/HS512 tokens; at least 32 bytes
     * @param jwtPublicKeyFile PEM file with the RSA or EC public key that verifies RS*, PS* or ES* tokens
     * @param jwksUrl JWKS URL whose keys verify RS*, PS* or ES* tokens; fetched off the event loops
     * @param jwksRefreshInterval how often the JWKS is refetched; a token with an unknown {@code kid} triggers at most
     *     one extra fetch per interval
     * @param jwtAlgorithms the only JWS algorithms accepted; HMAC and public-key algorithms cannot be mixed
     * @param jwtIssuer required {@code iss} claim; empty means not checked
     * @param jwtAudience required {@code aud} value; empty means not checked
     * @param jwtClockSkew tolerance when checking {@code exp} and {@code nbf}
     * @param tokenCookie cookie that may carry the JWT (besides {@code Authorization: Bearer} and {@code ?token=})
     * @param allowedOrigins Origin headers accepted on upgrade: exact origins, {@code https://*.example.com} patterns
     *     or {@code *}; empty means same host only
     * @param allowedRooms rooms anyone may join, read and publish to when a token has no {@code rooms} claim: exact
     *     names, {@code prefix*} or {@code *}
     * @param rateLimitRps inbound messages (control frames included) per second allowed per connection
     * @param rateLimitBurst inbound messages allowed in a burst above the rate
     * @param maxRateLimitViolations messages refused with {@code rate_limited} in a row before close 4029
     * @param maxConnectionsPerIp WebSocket connections from one IP address; 0 means no limit
     * @param maxConnectionsPerUser WebSocket connections of one user id; 0 means no limit
     * @param maxHandshakesPerIpPerSecond upgrade attempts per second from one IP address, beyond it 429; 0 means no
     *     limit
     * @param maxHeaderBytes largest HTTP request line and header block; larger requests get 414 or 431
     * @param enableTls serve TLS ({@code wss://}, {@code https://}) with certFile and keyFile
     * @param certFile PEM certificate chain for TLS
     * @param keyFile PEM private key (PKCS#8) for TLS
     * @param allowBroadcast whether a connection whose token has no {@code broadcast} claim (every connection when
     *     authentication is off) may send {@code broadcast}, which reaches every connection of the cluster
     * @param allowPrivateMessages whether a connection whose token has no {@code private} claim may send
     *     {@code private_message}; it also needs a {@code publish} grant for at least one room
     * @param broadcastMaxBytes largest {@code broadcast} a client may send, as delivered (content, data and
     *     envelope); larger answers {@code message_too_large}
     * @param broadcastPerSecond {@code broadcast} commands allowed per connection per second, in bursts of as many;
     *     more answer {@code rate_limited}
     */
    public record Security(boolean requireAuth, String jwtSecret, String jwtPublicKeyFile, String jwksUrl,
                           Duration jwksRefreshInterval, List<String> jwtAlgorithms, String jwtIssuer,
                           String jwtAudience, Duration jwtClockSkew, String tokenCookie, List<String> allowedOrigins,
                           List<String> allowedRooms, int rateLimitRps, int rateLimitBurst,
                           int maxRateLimitViolations, int maxConnectionsPerIp, int maxConnectionsPerUser,
                           int maxHandshakesPerIpPerSecond, int maxHeaderBytes, boolean enableTls, String certFile,
                           String keyFile, boolean allowBroadcast, boolean allowPrivateMessages, int broadcastMaxBytes,
                           int broadcastPerSecond) {
        /** Default of {@code security.broadcastMaxBytes}: a notice, not a payload; room messages may be 64 KiB. */
        public static final int DEFAULT_BROADCAST_MAX_BYTES = 4096;
        /** Default of {@code security.broadcastPerSecond}. */
        public static final int DEFAULT_BROADCAST_PER_SECOND = 1;

        /** The algorithms {@code security.jwtAlgorithms} may name. */
        public static final List<String> HMAC_ALGORITHMS = List.of("HS256", "HS384", "HS512");
        public static final List<String> PUBLIC_KEY_ALGORITHMS = List.of("RS256", "RS384", "RS512", "PS256", "PS384",
                "PS512", "ES256", "ES384", "ES512");
        /** An allowed origin: {@code *}, {@code null}, or scheme://host[:port] with an optional leading {@code *.}. */
        private static final String ORIGIN = "\\*|null|https?://(\\*\\.)?[A-Za-z0-9.-]+(:\\d{1,5})?";
        /** A room pattern: {@code *}, a room name, or a room-name prefix ending in {@code *}. */
        private static final String ROOM_PATTERN = "\\*|[A-Za-z0-9_.:@/-]{1,128}\\*?";

        public Security {
            Check.notNull("security.jwtSecret", jwtSecret);
            Check.notNull("security.jwtPublicKeyFile", jwtPublicKeyFile);
            Check.notNull("security.jwksUrl", jwksUrl);
            Check.positive("security.jwksRefreshInterval", jwksRefreshInterval);
            Check.notNull("security.jwtAlgorithms", jwtAlgorithms);
            jwtAlgorithms = List.copyOf(jwtAlgorithms);
            Check.notNull("security.jwtIssuer", jwtIssuer);
            Check.notNull("security.jwtAudience", jwtAudience);
            Check.range("security.jwtClockSkew", jwtClockSkew, Duration.ZERO, Duration.ofMinutes(10));
            Check.notNull("security.tokenCookie", tokenCookie);
            if (!tokenCookie.matches("[A-Za-z0-9_.-]{1,64}")) {
                throw new ConfigException("security.tokenCookie", tokenCookie, "must match [A-Za-z0-9_.-]{1,64}");
            }
            Check.notNull("security.allowedOrigins", allowedOrigins);
            allowedOrigins = List.copyOf(allowedOrigins);
            for (String origin : allowedOrigins) {
                if (!origin.matches(ORIGIN)) {
                    throw new ConfigException("security.allowedOrigins", origin,
                            "must each be *, null, or scheme://host[:port] with http or https and no path,"
                                    + " the host optionally starting with *.");
                }
            }
            Check.notNull("security.allowedRooms", allowedRooms);
            allowedRooms = List.copyOf(allowedRooms);
            for (String pattern : allowedRooms) {
                if (!pattern.matches(ROOM_PATTERN)) {
                    throw new ConfigException("security.allowedRooms", pattern,
                            "must each be *, a room name, or a room-name prefix ending in *");
                }
            }
            Check.range("security.rateLimitRps", rateLimitRps, 1, 1_000_000);
            Check.range("security.rateLimitBurst", rateLimitBurst, 1, 1_000_000);
            Check.range("security.maxRateLimitViolations", maxRateLimitViolations, 1, 1_000_000);
            Check.range("security.maxConnectionsPerIp", maxConnectionsPerIp, 0, 10_000_000);
            Check.range("security.maxConnectionsPerUser", maxConnectionsPerUser, 0, 10_000_000);
            Check.range("security.maxHandshakesPerIpPerSecond", maxHandshakesPerIpPerSecond, 0, 1_000_000);
            Check.range("security.maxHeaderBytes", maxHeaderBytes, 1024, 1024 * 1024);
            Check.range("security.broadcastMaxBytes", broadcastMaxBytes, 256, 64 * 1024 * 1024);
            Check.range("security.broadcastPerSecond", broadcastPerSecond, 1, 1_000_000);
            Check.notNull("security.certFile", certFile);
            Check.notNull("security.keyFile", keyFile);
            if (enableTls && (certFile.isBlank() || keyFile.isBlank())) {
                throw new ConfigException("security.enableTls is true but security.certFile and security.keyFile"
                        + " are not both set");
            }
            if (requireAuth) {
                checkAuth(jwtSecret, jwtPublicKeyFile, jwksUrl, jwtAlgorithms);
            }
        }

        /** Without the broadcast and private-message settings: their defaults (no broadcast without a claim). */
        public Security(boolean requireAuth, String jwtSecret, String jwtPublicKeyFile, String jwksUrl,
                        Duration jwksRefreshInterval, List<String> jwtAlgorithms, String jwtIssuer, String jwtAudience,
                        Duration jwtClockSkew, String tokenCookie, List<String> allowedOrigins,
                        List<String> allowedRooms, int rateLimitRps, int rateLimitBurst, int maxRateLimitViolations,
                        int maxConnectionsPerIp, int maxConnectionsPerUser, int maxHandshakesPerIpPerSecond,
                        int maxHeaderBytes, boolean enableTls, String certFile, String keyFile) {
            this(requireAuth, jwtSecret, jwtPublicKeyFile, jwksUrl, jwksRefreshInterval, jwtAlgorithms, jwtIssuer,
                    jwtAudience, jwtClockSkew, tokenCookie, allowedOrigins, allowedRooms, rateLimitRps, rateLimitBurst,
                    maxRateLimitViolations, maxConnectionsPerIp, maxConnectionsPerUser, maxHandshakesPerIpPerSecond,
                    maxHeaderBytes, enableTls, certFile, keyFile, false, true, DEFAULT_BROADCAST_MAX_BYTES,
                    DEFAULT_BROADCAST_PER_SECOND);
        }

        private static void checkAuth(String secret, String publicKeyFile, String jwksUrl, List<String> algorithms) {
            if (algorithms.isEmpty()) {
                throw new ConfigException("security.jwtAlgorithms", "", "must name at least one algorithm");
            }
            boolean hmac = false;
            boolean publicKey = false;
            for (String alg : algorithms) {
                hmac |= HMAC_ALGORITHMS.contains(alg);
                publicKey |= PUBLIC_KEY_ALGORITHMS.contains(alg);
                if (!HMAC_ALGORITHMS.contains(alg) && !PUBLIC_KEY_ALGORITHMS.contains(alg)) {
                    throw new ConfigException("security.jwtAlgorithms", alg, "must each be one of "
                            + String.join(", ", HMAC_ALGORITHMS) + ", " + String.join(", ", PUBLIC_KEY_ALGORITHMS));
                }
            }
            if (hmac && publicKey) {
                throw new ConfigException("security.jwtAlgorithms", String.join(",", algorithms),
                        "must not mix HMAC (HS*) with public-key algorithms: that is how key-confusion forgeries work");
            }
            if (hmac && secret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < 32) {
                throw new ConfigException("security.jwtSecret", HIDDEN,
                        "must have at least 32 bytes when security.requireAuth uses " + String.join(",", algorithms));
            }
            if (publicKey && publicKeyFile.isBlank() == jwksUrl.isBlank()) {
                throw new ConfigException("security.requireAuth with " + String.join(",", algorithms)
                        + " needs exactly one of security.jwtPublicKeyFile and security.jwksUrl");
            }
            if (!jwksUrl.isBlank() && !jwksUrl.startsWith("https://") && !jwksUrl.startsWith("http://")) {
                throw new ConfigException("security.jwksUrl", jwksUrl, "must be an http(s) URL");
            }
        }

        /** Hides the JWT secret: a config printed in a log must not leak it. */
        @Override
        public String toString() {
            return "Security[requireAuth=" + requireAuth + ", jwtSecret=(" + HIDDEN + "), jwtPublicKeyFile="
                    + jwtPublicKeyFile + ", jwksUrl=" + jwksUrl + ", jwksRefreshInterval="
                    + Check.format(jwksRefreshInterval) + ", jwtAlgorithms=" + jwtAlgorithms + ", jwtIssuer="
                    + jwtIssuer + ", jwtAudience=" + jwtAudience + ", jwtClockSkew=" + Check.format(jwtClockSkew)
                    + ", tokenCookie=" + tokenCookie + ", allowedOrigins=" + allowedOrigins + ", allowedRooms="
                    + allowedRooms + ", rateLimitRps=" + rateLimitRps + ", rateLimitBurst=" + rateLimitBurst
                    + ", maxRateLimitViolations=" + maxRateLimitViolations + ", maxConnectionsPerIp="
                    + maxConnectionsPerIp + ", maxConnectionsPerUser=" + maxConnectionsPerUser
                    + ", maxHandshakesPerIpPerSecond=" + maxHandshakesPerIpPerSecond + ", maxHeaderBytes="
                    + maxHeaderBytes + ", enableTls=" + enableTls + ", certFile=" + certFile + ", keyFile=" + keyFile
                    + ", allowBroadcast=" + allowBroadcast + ", allowPrivateMessages=" + allowPrivateMessages
                    + ", broadcastMaxBytes=" + broadcastMaxBytes + ", broadcastPerSecond=" + broadcastPerSecond + "]";
        }

        public static Security defaults() {
            return new Security(false, "", "", "", Duration.ofMinutes(5), List.of("HS256"), "", "",
                    Duration.ofSeconds(30), "switchboard_token", List.of(), List.of("*"), 100, 200, 20, 1000, 100,
                    50, 8192, false, "", "", false, true, DEFAULT_BROADCAST_MAX_BYTES, DEFAULT_BROADCAST_PER_SECOND);
        }

        /**
         * These settings with other abuse limits, e.g. for a load test from one address; 0 turns a
         * per-IP, per-user or handshake limit off.
         */
        public Security withLimits(int rateLimitRps, int rateLimitBurst, int maxConnectionsPerIp,
                                   int maxConnectionsPerUser, int maxHandshakesPerIpPerSecond) {
            return new Security(requireAuth, jwtSecret, jwtPublicKeyFile, jwksUrl, jwksRefreshInterval, jwtAlgorithms,
                    jwtIssuer, jwtAudience, jwtClockSkew, tokenCookie, allowedOrigins, allowedRooms, rateLimitRps,
                    rateLimitBurst, maxRateLimitViolations, maxConnectionsPerIp, maxConnectionsPerUser,
                    maxHandshakesPerIpPerSecond, maxHeaderBytes, enableTls, certFile, keyFile, allowBroadcast,
                    allowPrivateMessages, broadcastMaxBytes, broadcastPerSecond);
        }

        /** These settings with other broadcast and private-message permissions and broadcast bounds. */
        public Security withBroadcast(boolean allowBroadcast, boolean allowPrivateMessages, int broadcastMaxBytes,
                                      int broadcastPerSecond) {
            return new Security(requireAuth, jwtSecret, jwtPublicKeyFile, jwksUrl, jwksRefreshInterval, jwtAlgorithms,
                    jwtIssuer, jwtAudience, jwtClockSkew, tokenCookie, allowedOrigins, allowedRooms, rateLimitRps,
                    rateLimitBurst, maxRateLimitViolations, maxConnectionsPerIp, maxConnectionsPerUser,
                    maxHandshakesPerIpPerSecond, maxHeaderBytes, enableTls, certFile, keyFile, allowBroadcast,
                    allowPrivateMessages, broadcastMaxBytes, broadcastPerSecond);
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
