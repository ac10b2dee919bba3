package io.switchboard.server.config;

import io.switchboard.core.config.ConfigException;
import io.switchboard.core.config.SwitchboardConfig;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The table of configuration keys, derived from the records themselves: the sections are the
 * components of {@link SwitchboardConfig}, the keys the components of each section record, the
 * types those components' Java types, the defaults the values of {@link SwitchboardConfig#defaults()}.
 * Adding a component to a record adds the key, its environment variable and its docs row; only
 * its description has to be written here (a test holds it equal to the record's {@code @param}).
 *
 * <p>Thread-safe: immutable after class initialisation.
 */
public final class ConfigKeys {

    /**
     * {@code SWITCHBOARD_*} variables that name no key but are not typos: launchers read them.
     * Every other unknown {@code SWITCHBOARD_*} variable fails the start.
     */
    public static final Set<String> ENV_ALLOW_LIST = Set.of("SWITCHBOARD_HOME", "SWITCHBOARD_OPTS",
            "SWITCHBOARD_JAVA_OPTS", "SWITCHBOARD_LOG_LEVEL");

    /** Keys whose values are never shown. */
    private static final Set<String> SECRETS = Set.of("api.keys", "redis.password", "security.jwtSecret");

    /** Sections the server reads and validates but does not act on yet. */
    private static final Set<String> NOT_USED_YET = Set.of();

    /** First sentence of each section record's javadoc. */
    private static final Map<String, String> SECTION_DESCRIPTIONS = Map.ofEntries(
            Map.entry("server", "Network listener."),
            Map.entry("websocket", "WebSocket endpoint, heartbeats and per-connection limits."),
            Map.entry("hub", "Hub behaviour."),
            Map.entry("history", "Room history backing offsets and recovery."),
            Map.entry("shutdown", "Graceful shutdown."),
            Map.entry("api", "Backend HTTP API."),
            Map.entry("redis", "Redis connection for scale-out."),
            Map.entry("monitoring", "Metrics endpoint."),
            Map.entry("security", "Authentication, origins, TLS and abuse limits."),
            Map.entry("tracing", "OpenTelemetry tracing."),
            Map.entry("cluster", "Scale-out: how the nodes of a cluster exchange messages and share history and presence."),
            Map.entry("nats", "NATS connection for scale-out."));

    /** The records' {@code @param} texts, {@code {@code x}} written as {@code `x`}. */
    private static final Map<String, String> DESCRIPTIONS = Map.ofEntries(
            Map.entry("server.host", "address to bind (`0.0.0.0` for all interfaces)"),
            Map.entry("server.port", "TCP port, 0 picks a free one"),
            Map.entry("server.ioThreads", "event loops serving connections; 0 means one per available processor"),
            Map.entry("server.nodeId", "this node's name in `welcome` and connection ids; empty means generated"),
            Map.entry("server.readTimeout",
                    "deadline for a complete HTTP request (API calls) once its first byte arrived"),
            Map.entry("server.idleTimeout",
                    "an HTTP keep-alive connection idle this long is closed (WebSockets excluded)"),
            Map.entry("server.maxRequestBytes", "largest HTTP request body the API accepts"),
            Map.entry("websocket.path", "upgrade path"),
            Map.entry("websocket.maxConnections", "global cap; upgrades beyond it get 503"),
            Map.entry("websocket.readBufferBytes", "socket receive buffer (SO_RCVBUF); 0 keeps the OS default"),
            Map.entry("websocket.writeBufferBytes", "socket send buffer (SO_SNDBUF); 0 keeps the OS default"),
            Map.entry("websocket.handshakeTimeout", "deadline from accept to completed upgrade"),
            Map.entry("websocket.pingInterval", "how often the server pings; must be shorter than pongTimeout"),
            Map.entry("websocket.pongTimeout", "a connection silent this long (not even a pong) is closed with 1001"),
            Map.entry("websocket.writeWait", "a connection whose writes stay pending this long is closed with 4008"),
            Map.entry("websocket.maxFrameBytes", "largest single frame payload; larger closes with 1009"),
            Map.entry("websocket.maxMessageBytes", "largest message after joining fragments; larger closes with 1009"),
            Map.entry("websocket.maxQueuedBytes",
                    "outbound bytes queued for one connection before it is closed with 4008; while direct memory is "
                            + "above 75% of its limit, 64 KiB (or this, if smaller) is enough"),
            Map.entry("websocket.maxRoomsPerConnection", "joins beyond this answer `too_many_rooms`"),
            Map.entry("websocket.maxInvalidMessages",
                    "invalid commands tolerated per connection before close 1008"),
            Map.entry("websocket.enableCompression", "negotiate permessage-deflate"),
            Map.entry("websocket.maxFragmentsPerMessage", "frames one message may arrive in; more closes with 1008"),
            Map.entry("websocket.messageAssemblyTimeout",
                    "a fragmented message not complete this long after its first frame closes with 1008"),
            Map.entry("hub.notifyGlobalPresence",
                    "send `user_joined`/`user_left` to every connection (O(N) per connect)"),
            Map.entry("hub.maxRoomMembers", "joins beyond this answer `room_full`"),
            Map.entry("hub.maxPendingFanouts",
                    "delivery tasks queued per event loop before publishes answer `unavailable`"),
            Map.entry("hub.flushInterval",
                    "least time between two flushes of fan-out frames to one connection (0 to 1s); 0 flushes "
                            + "as soon as the event loop is free. Longer gathers more frames per system call: less "
                            + "CPU per delivery under heavy fan-out, at up to this much added latency (plus a tenth)"),
            Map.entry("history.size", "messages kept per room"),
            Map.entry("history.ttl", "messages older than this are dropped"),
            Map.entry("shutdown.drainTimeout", "window over which connections get `server_shutdown` and close 1012"),
            Map.entry("api.keys", "accepted API keys; empty means every API call answers 401"),
            Map.entry("redis.host", "Redis server host"),
            Map.entry("redis.port", "Redis server port"),
            Map.entry("redis.password", "Redis password; empty means no AUTH"),
            Map.entry("redis.db", "Redis database index"),
            Map.entry("cluster.broker",
                    "how nodes exchange messages: `memory` (a single node), `redis` or `nats`"),
            Map.entry("cluster.history", "where room history and offsets live: `memory`, `redis`, or `auto` "
                    + "(redis with a redis or nats broker, memory otherwise)"),
            Map.entry("cluster.presence", "where presence lives: `memory`, `redis`, or `auto` (as for history)"),
            Map.entry("cluster.timeout", "deadline of each call to Redis or NATS"),
            Map.entry("cluster.maxPending",
                    "calls to Redis or NATS in flight at once; beyond, publishes answer `unavailable`"),
            Map.entry("cluster.breakerOpenDuration",
                    "how long the circuit breaker fails calls fast before it probes again"),
            Map.entry("cluster.gapTimeout", "how long a node waits for a missing offset before reading it from history"),
            Map.entry("cluster.presenceTtl", "a node's presence entries expire this long after its last refresh"),
            Map.entry("cluster.tailCheckInterval", "how often a node compares each quiet room it serves with the "
                    + "room's history, to deliver messages whose publishing node died before relaying them"),
            Map.entry("nats.servers", "NATS server URLs (`nats://host:port` or `tls://host:port`)"),
            Map.entry("monitoring.enabled",
                    "record metrics and serve them in the Prometheus text format; false records nothing"),
            Map.entry("monitoring.port", "separate port for metrics, health and readiness (loopback-only setups, "
                    + "scrapers on another network); 0 means the server port"),
            Map.entry("monitoring.metricsPath", "path of the Prometheus endpoint"),
            Map.entry("security.requireAuth",
                    "reject WebSocket upgrades without a valid JWT; the user id is then the token's `sub`"),
            Map.entry("security.jwtSecret", "HMAC secret that verifies HS256/HS384/HS512 tokens; at least 32 bytes"),
            Map.entry("security.jwtPublicKeyFile",
                    "PEM file with the RSA or EC public key that verifies RS*, PS* or ES* tokens"),
            Map.entry("security.jwksUrl",
                    "JWKS URL whose keys verify RS*, PS* or ES* tokens; fetched off the event loops"),
            Map.entry("security.jwksRefreshInterval",
                    "how often the JWKS is refetched; a token with an unknown `kid` triggers at most one extra fetch"
                    + " per interval"),
            Map.entry("security.jwtAlgorithms",
                    "the only JWS algorithms accepted; HMAC and public-key algorithms cannot be mixed"),
            Map.entry("security.jwtIssuer", "required `iss` claim; empty means not checked"),
            Map.entry("security.jwtAudience", "required `aud` value; empty means not checked"),
            Map.entry("security.jwtClockSkew", "tolerance when checking `exp` and `nbf`"),
            Map.entry("security.tokenCookie",
                    "cookie that may carry the JWT (besides `Authorization: Bearer` and `?token=`)"),
            Map.entry("security.allowedOrigins",
                    "Origin headers accepted on upgrade: exact origins, `https://*.example.com` patterns or `*`;"
                    + " empty means same host only"),
            Map.entry("security.allowedRooms",
                    "rooms anyone may join, read and publish to when a token has no `rooms` claim: exact names,"
                    + " `prefix*` or `*`"),
            Map.entry("security.rateLimitRps",
                    "inbound messages (control frames included) per second allowed per connection"),
            Map.entry("security.rateLimitBurst", "inbound messages allowed in a burst above the rate"),
            Map.entry("security.maxRateLimitViolations",
                    "messages refused with `rate_limited` in a row before close 4029"),
            Map.entry("security.maxConnectionsPerIp", "WebSocket connections from one IP address; 0 means no limit"),
            Map.entry("security.maxConnectionsPerUser", "WebSocket connections of one user id; 0 means no limit"),
            Map.entry("security.maxHandshakesPerIpPerSecond",
                    "upgrade attempts per second from one IP address, beyond it 429; 0 means no limit"),
            Map.entry("security.maxHeaderBytes",
                    "largest HTTP request line and header block; larger requests get 414 or 431"),
            Map.entry("security.enableTls", "serve TLS (`wss://`, `https://`) with certFile and keyFile"),
            Map.entry("security.certFile", "PEM certificate chain for TLS"),
            Map.entry("security.keyFile", "PEM private key (PKCS#8) for TLS"),
            Map.entry("security.allowBroadcast", "whether a connection whose token has no `broadcast` claim (every "
                    + "connection when authentication is off) may send `broadcast`, which reaches every connection of "
                    + "the cluster"),
            Map.entry("security.allowPrivateMessages", "whether a connection whose token has no `private` claim may "
                    + "send `private_message`; it also needs a `publish` grant for at least one room"),
            Map.entry("security.broadcastMaxBytes", "largest `broadcast` a client may send, as delivered (content, "
                    + "data and envelope); larger answers `message_too_large`"),
            Map.entry("security.broadcastPerSecond", "`broadcast` commands allowed per connection per second, in "
                    + "bursts of as many; more answer `rate_limited`"),
            Map.entry("tracing.endpoint", "OTLP/HTTP traces endpoint (e.g. `http://collector:4318/v1/traces`); "
                    + "empty turns tracing off, at no cost"),
            Map.entry("tracing.serviceName", "the `service.name` resource attribute of exported spans"),
            Map.entry("tracing.samplePercent", "share of new traces recorded (upgrades without a sampled parent)"));

    /**
     * One section: a component of {@link SwitchboardConfig} and its record.
     *
     * @param name the component name, the first part of its keys ({@code websocket})
     * @param description what the section configures
     * @param usedByServer false for sections that are accepted and validated but not acted on yet
     * @param keys the section's keys in record order
     */
    public record Section(String name, String description, boolean usedByServer, List<ConfigKey> keys) {
    }

    private static final List<Section> SECTIONS = readSections();
    private static final Map<String, ConfigKey> BY_KEY = index(ConfigKey::key);
    private static final List<ConfigKey> ALL = List.copyOf(BY_KEY.values());
    private static final Map<String, ConfigKey> BY_ENV = index(ConfigKey::envVar);

    private ConfigKeys() {
    }

    /** The sections in record order. */
    public static List<Section> sections() {
        return SECTIONS;
    }

    /** Every key, section by section, in record order. */
    public static List<ConfigKey> all() {
        return ALL;
    }

    /** The key spelled exactly {@code websocket.pingInterval}. */
    public static Optional<ConfigKey> find(String key) {
        return Optional.ofNullable(BY_KEY.get(key));
    }

    /** The key whose environment variable is exactly {@code name}. */
    public static Optional<ConfigKey> findByEnv(String name) {
        return Optional.ofNullable(BY_ENV.get(name));
    }

    /** {@code " (did you mean websocket.pingInterval?)"}, or empty when no key is close. */
    static String didYouMean(String unknown, Function<ConfigKey, String> spelling) {
        return suggest(unknown, all(), spelling).map(s -> " (did you mean " + s + "?)")
                .or(() -> sectionNamedIn(unknown).map(s -> " (the " + s.name() + " section has "
                        + String.join(", ", s.keys().stream().map(spelling).toList()) + ")"))
                .orElse("");
    }

    /**
     * For a key no spelling is near: the section its last part naming one names, so that
     * {@code cluster.redis.url} can list the keys the redis section has.
     */
    static Optional<Section> sectionNamedIn(String unknown) {
        String[] parts = unknown.toLowerCase(Locale.ROOT).split("[._]");
        for (int i = parts.length - 1; i >= 0; i--) {
            String part = parts[i];
            Optional<Section> named = sections().stream()
                    .filter(s -> s.name().toLowerCase(Locale.ROOT).equals(part)).findFirst();
            if (named.isPresent()) {
                return named;
            }
        }
        return Optional.empty();
    }

    /**
     * The spelling of the key a typo most likely meant: the nearest by edit distance if within a
     * few edits, otherwise the only key with the same name in another section
     * ({@code server.pingInterval} → {@code websocket.pingInterval}).
     */
    static Optional<String> suggest(String unknown, Collection<ConfigKey> keys, Function<ConfigKey, String> spelling) {
        String lower = unknown.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (ConfigKey key : keys) {
            int d = editDistance(lower, spelling.apply(key).toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = spelling.apply(key);
                bestDistance = d;
            }
        }
        if (best != null && bestDistance <= Math.max(2, unknown.length() / 6)) {
            return Optional.of(best);
        }
        List<String> sameName = new ArrayList<>();
        for (ConfigKey key : keys) {
            // The spelling after the section: ".pinginterval" or "_ping_interval".
            String spelled = spelling.apply(key).toLowerCase(Locale.ROOT);
            String afterSection = spelled.substring(spelled.indexOf(key.section()) + key.section().length());
            if (lower.endsWith(afterSection)) {
                sameName.add(spelling.apply(key));
            }
        }
        return sameName.size() == 1 ? Optional.of(sameName.get(0)) : Optional.empty();
    }

    /** Levenshtein distance. */
    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /**
     * Builds the config from parsed values by key, taking the default for every key not given.
     * A record's own validation failure propagates as its {@link ConfigException}.
     */
    static SwitchboardConfig build(Map<String, Object> values) {
        SwitchboardConfig defaults = SwitchboardConfig.defaults();
        RecordComponent[] sections = SwitchboardConfig.class.getRecordComponents();
        Object[] built = new Object[sections.length];
        for (int s = 0; s < sections.length; s++) {
            Record sectionDefaults = (Record) get(sections[s], defaults);
            RecordComponent[] components = sections[s].getType().getRecordComponents();
            Object[] args = new Object[components.length];
            for (int c = 0; c < components.length; c++) {
                String key = sections[s].getName() + "." + components[c].getName();
                args[c] = values.containsKey(key) ? values.get(key) : get(components[c], sectionDefaults);
            }
            built[s] = construct(sections[s].getType(), args);
        }
        return (SwitchboardConfig) construct(SwitchboardConfig.class, built);
    }

    private static List<Section> readSections() {
        SwitchboardConfig defaults = SwitchboardConfig.defaults();
        List<Section> sections = new ArrayList<>();
        for (RecordComponent section : SwitchboardConfig.class.getRecordComponents()) {
            Record sectionDefaults = (Record) get(section, defaults);
            List<ConfigKey> keys = new ArrayList<>();
            for (RecordComponent component : section.getType().getRecordComponents()) {
                String key = section.getName() + "." + component.getName();
                ValueType type = ValueType.of(key, component.getGenericType());
                String description = DESCRIPTIONS.get(key);
                if (description == null) {
                    throw new IllegalStateException("config key " + key + " has no description in ConfigKeys");
                }
                keys.add(new ConfigKey(section.getName(), component.getName(), type,
                        type.format(get(component, sectionDefaults)), description, SECRETS.contains(key)));
            }
            sections.add(new Section(section.getName(), SECTION_DESCRIPTIONS.get(section.getName()),
                    !NOT_USED_YET.contains(section.getName()), List.copyOf(keys)));
        }
        return List.copyOf(sections);
    }

    private static Map<String, ConfigKey> index(Function<ConfigKey, String> spelling) {
        Map<String, ConfigKey> index = new LinkedHashMap<>();
        for (Section section : SECTIONS) {
            for (ConfigKey key : section.keys()) {
                if (index.put(spelling.apply(key), key) != null) {
                    throw new IllegalStateException("two config keys are spelled " + spelling.apply(key));
                }
            }
        }
        return Collections.unmodifiableMap(index);
    }

    private static Object get(RecordComponent component, Object record) {
        try {
            return component.getAccessor().invoke(record);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read config component " + component.getName(), e);
        }
    }

    private static Object construct(Class<?> recordType, Object[] args) {
        Class<?>[] types = Arrays.stream(recordType.getRecordComponents())
                .map(RecordComponent::getType).toArray(Class<?>[]::new);
        try {
            Constructor<?> canonical = recordType.getDeclaredConstructor(types);
            return canonical.newInstance(args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw new IllegalStateException("cannot build " + recordType.getSimpleName(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build " + recordType.getSimpleName(), e);
        }
    }
}
