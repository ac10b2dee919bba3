package io.switchboard.nats;

import io.switchboard.core.config.ConfigException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How a node reaches NATS. Immutable and thread-safe; validated at construction: a value that breaks
 * its rule throws {@link ConfigException} naming the key, the value and the rule.
 *
 * @param servers NATS URLs, {@code nats://host:port} or {@code tls://host:port} (port defaults to 4222);
 *     at least one. Credentials never go in a URL (they would end up in logs): use {@code token} or
 *     {@code user}/{@code password}
 * @param timeout deadline for one connection attempt (TCP connect, server INFO, CONNECT and the first
 *     PING/PONG) and for the round trip that confirms a subscription
 * @param subjectPrefix the first subject tokens of every message this broker sends or receives, e.g.
 *     {@code switchboard}; clusters sharing one NATS account keep apart by using different prefixes
 * @param token authentication token, or null
 * @param user user name, or null; needs {@code password}; excludes {@code token}
 * @param password password of {@code user}, or null
 * @param pingInterval how often the client pings the server; a server that leaves two pings unanswered
 *     (about three intervals) is treated as gone and the client reconnects. This is what detects a
 *     stalled server whose TCP connection still looks open
 * @param maxPendingMessages bound of the outgoing buffer: messages accepted by {@code publish} but not
 *     yet written to the socket. Above it {@code publish} fails instead of waiting (the overflow policy)
 */
public record NatsSettings(
        List<String> servers,
        Duration timeout,
        String subjectPrefix,
        String token,
        String user,
        String password,
        Duration pingInterval,
        int maxPendingMessages) {

    /** One connection attempt gets this long; NATS answers on a LAN in well under a millisecond. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
    public static final String DEFAULT_SUBJECT_PREFIX = "switchboard";
    /**
     * Five seconds, not jnats' two minutes: a stalled server is then noticed in about 15 s, and the hub
     * starts recovering from history instead of publishing into a socket nobody reads.
     */
    public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(5);
    /** About half a second of a busy node's traffic; at most this many payloads held in memory. */
    public static final int DEFAULT_MAX_PENDING_MESSAGES = 65_536;

    /** Shown instead of the token or password in {@code toString}. */
    private static final String HIDDEN = "hidden";
    /** Subject tokens of the prefix: no {@code .} inside a token, no wildcards, no spaces. */
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");
    private static final int MAX_PREFIX_CHARS = 64;

    public NatsSettings {
        servers = validServers(servers);
        positive("nats.timeout", timeout);
        if (subjectPrefix == null) {
            throw new ConfigException("nats.subjectPrefix is required");
        }
        if (subjectPrefix.length() > MAX_PREFIX_CHARS || !PREFIX.matcher(subjectPrefix).matches()) {
            throw new ConfigException("nats.subjectPrefix", subjectPrefix,
                    "must be dot-separated tokens of [A-Za-z0-9_-], at most " + MAX_PREFIX_CHARS + " characters");
        }
        notBlankIfSet("nats.token", token);
        notBlankIfSet("nats.user", user);
        notBlankIfSet("nats.password", password);
        if ((user == null) != (password == null)) {
            throw new ConfigException("nats.user and nats.password must be set together");
        }
        if (token != null && user != null) {
            throw new ConfigException("nats.token and nats.user exclude each other");
        }
        positive("nats.pingInterval", pingInterval);
        if (maxPendingMessages < 1 || maxPendingMessages > 10_000_000) {
            throw new ConfigException("nats.maxPendingMessages", maxPendingMessages, "must be between 1 and 10000000");
        }
    }

    /** The documented defaults for these servers: no credentials. */
    public static NatsSettings defaults(String... servers) {
        return new NatsSettings(servers == null ? null : List.of(servers), DEFAULT_TIMEOUT, DEFAULT_SUBJECT_PREFIX,
                null, null, null, DEFAULT_PING_INTERVAL, DEFAULT_MAX_PENDING_MESSAGES);
    }

    public NatsSettings withTimeout(Duration value) {
        return new NatsSettings(servers, value, subjectPrefix, token, user, password, pingInterval, maxPendingMessages);
    }

    public NatsSettings withSubjectPrefix(String value) {
        return new NatsSettings(servers, timeout, value, token, user, password, pingInterval, maxPendingMessages);
    }

    public NatsSettings withToken(String value) {
        return new NatsSettings(servers, timeout, subjectPrefix, value, user, password, pingInterval, maxPendingMessages);
    }

    public NatsSettings withUserInfo(String newUser, String newPassword) {
        return new NatsSettings(servers, timeout, subjectPrefix, token, newUser, newPassword, pingInterval,
                maxPendingMessages);
    }

    public NatsSettings withPingInterval(Duration value) {
        return new NatsSettings(servers, timeout, subjectPrefix, token, user, password, value, maxPendingMessages);
    }

    public NatsSettings withMaxPendingMessages(int value) {
        return new NatsSettings(servers, timeout, subjectPrefix, token, user, password, pingInterval, value);
    }

    /** Hides the token and the password: settings printed in a log must not leak them. */
    @Override
    public String toString() {
        return "NatsSettings[servers=" + servers + ", timeout=" + timeout + ", subjectPrefix=" + subjectPrefix
                + ", token=" + (token == null ? "null" : "(" + HIDDEN + ")") + ", user=" + user
                + ", password=" + (password == null ? "null" : "(" + HIDDEN + ")") + ", pingInterval=" + pingInterval
                + ", maxPendingMessages=" + maxPendingMessages + "]";
    }

    private static List<String> validServers(List<String> servers) {
        if (servers == null || servers.isEmpty()) {
            throw new ConfigException("nats.servers must name at least one server");
        }
        for (String server : servers) {
            validServer(server);
        }
        return List.copyOf(servers);
    }

    private static void validServer(String server) {
        if (server == null || server.isBlank()) {
            throw new ConfigException("nats.servers must not contain an empty entry");
        }
        URI uri;
        try {
            uri = new URI(server);
        } catch (URISyntaxException e) {
            throw new ConfigException("nats.servers", server, "must be a nats:// or tls:// URL: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("nats") && !scheme.equals("tls")) {
            throw new ConfigException("nats.servers", server, "must be a nats:// or tls:// URL");
        }
        if (uri.getHost() == null) {
            throw new ConfigException("nats.servers", server, "must name a host, e.g. nats://127.0.0.1:4222");
        }
        if (uri.getPort() != -1 && (uri.getPort() < 1 || uri.getPort() > 65535)) {
            throw new ConfigException("nats.servers", server, "port must be between 1 and 65535");
        }
        if (uri.getRawUserInfo() != null) {
            throw new ConfigException("nats.servers", "(" + HIDDEN + ")",
                    "must not contain credentials; use nats.user/nats.password or nats.token");
        }
        boolean pathless = uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/");
        if (!pathless || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new ConfigException("nats.servers", server, "must be scheme://host:port with no path or query");
        }
    }

    private static void positive(String key, Duration value) {
        if (value == null) {
            throw new ConfigException(key + " is required");
        }
        if (value.isNegative() || value.isZero()) {
            throw new ConfigException(key, value, "must be positive");
        }
    }

    private static void notBlankIfSet(String key, String value) {
        if (value != null && value.isBlank()) {
            throw new ConfigException(key + " must be null (unset) or not blank");
        }
    }
}
