package io.switchboard.nats;

import io.switchboard.core.config.Check;
import io.switchboard.core.config.ConfigException;
import io.switchboard.core.config.Secret;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * NATS connection for scale-out. The {@code nats} section of the configuration, owned by this adapter.
 * Immutable and thread-safe; validated at construction: a value that breaks its rule throws
 * {@link ConfigException} naming the key, the value and the rule. At most one way of authenticating is
 * set: a token, a user and password, or a credentials file. The deadline of a connection attempt is not
 * here: it is the cluster's ({@code cluster.timeout}), handed to {@link NatsBroker} with these settings.
 *
 * @param servers NATS server URLs ({@code nats://host:port} or {@code tls://host:port})
 * @param subjectPrefix the first subject tokens of every message the nodes exchange; clusters sharing one
 *     NATS account keep apart by using different prefixes
 * @param token authentication token; empty means none
 * @param user user name, with {@code password}; empty means none
 * @param password password of {@code user}; empty means none
 * @param credsFile NATS credentials file (user JWT and NKey seed, as {@code nsc} writes it); empty means none
 * @param keepAliveInterval how often a node pings NATS (the client ping interval); a server that leaves two pings unanswered is treated as
 *     gone and the node reconnects (this detects a stalled server whose TCP connection still looks open)
 * @param maxPendingMessages messages accepted for sending but not yet written to the socket; beyond,
 *     publishing fails instead of waiting
 */
public record NatsSettings(List<String> servers, String subjectPrefix, @Secret String token, String user,
                           @Secret String password, String credsFile, Duration keepAliveInterval,
                           int maxPendingMessages) {

    /** Subject tokens of the prefix: no {@code .} inside a token, no wildcards, no spaces. */
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");
    private static final int MAX_PREFIX_CHARS = 64;

    public NatsSettings {
        servers = validServers(servers);
        Check.notNull("nats.subjectPrefix", subjectPrefix);
        if (subjectPrefix.length() > MAX_PREFIX_CHARS || !PREFIX.matcher(subjectPrefix).matches()) {
            throw new ConfigException("nats.subjectPrefix", subjectPrefix,
                    "must be dot-separated tokens of [A-Za-z0-9_-], at most " + MAX_PREFIX_CHARS + " characters");
        }
        notBlankIfSet("nats.token", token);
        notBlankIfSet("nats.user", user);
        notBlankIfSet("nats.password", password);
        notBlankIfSet("nats.credsFile", credsFile);
        if (user.isEmpty() != password.isEmpty()) {
            throw new ConfigException("nats.user and nats.password must be set together");
        }
        if (!token.isEmpty() && !user.isEmpty()) {
            throw new ConfigException("nats.token and nats.user exclude each other");
        }
        if (!credsFile.isEmpty() && (!token.isEmpty() || !user.isEmpty())) {
            throw new ConfigException("nats.credsFile excludes nats.token and nats.user");
        }
        Check.positive("nats.keepAliveInterval", keepAliveInterval);
        Check.range("nats.maxPendingMessages", maxPendingMessages, 1, 10_000_000);
    }

    /** The documented defaults with these servers instead of the local one. */
    public static NatsSettings defaults(String... servers) {
        return builder().servers(servers == null ? null : List.of(servers)).build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Hides the token and the password: settings printed in a log must not leak them. */
    @Override
    public String toString() {
        return "NatsSettings[servers=" + servers + ", subjectPrefix=" + subjectPrefix + ", token=" + shown(token)
                + ", user=" + user + ", password=" + shown(password) + ", credsFile=" + credsFile
                + ", keepAliveInterval=" + keepAliveInterval + ", maxPendingMessages=" + maxPendingMessages + "]";
    }

    private static String shown(String secret) {
        return secret.isEmpty() ? "" : "(" + Check.HIDDEN + ")";
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
            throw new ConfigException("nats.servers", server, "must be nats://host:port or tls://host:port");
        }
        if (uri.getHost() == null) {
            throw new ConfigException("nats.servers", server, "must name a host, e.g. nats://127.0.0.1:4222");
        }
        if (uri.getPort() != -1 && (uri.getPort() < 1 || uri.getPort() > 65535)) {
            throw new ConfigException("nats.servers", server, "port must be between 1 and 65535");
        }
        if (uri.getRawUserInfo() != null) {
            throw new ConfigException("nats.servers", "(" + Check.HIDDEN + ")",
                    "must not contain credentials; use nats.user/nats.password or nats.token");
        }
        boolean pathless = uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/");
        if (!pathless || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new ConfigException("nats.servers", server, "must be scheme://host:port with no path or query");
        }
    }

    private static void notBlankIfSet(String key, String value) {
        Check.notNull(key, value);
        if (!value.isEmpty() && value.isBlank()) {
            throw new ConfigException(key + " must be empty (unset) or not blank");
        }
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder().servers(servers).subjectPrefix(subjectPrefix).token(token).user(user)
                .password(password).credsFile(credsFile).keepAliveInterval(keepAliveInterval)
                .maxPendingMessages(maxPendingMessages);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private List<String> servers = List.of("nats://127.0.0.1:4222");
        private String subjectPrefix = "switchboard";
        private String token = "";
        private String user = "";
        private String password = "";
        private String credsFile = "";
        /**
         * Five seconds, not jnats' two minutes: a stalled server is then noticed in about 15 s, and the hub
         * starts recovering from history instead of publishing into a socket nobody reads.
         */
        private Duration keepAliveInterval = Duration.ofSeconds(5);
        /** About half a second of a busy node's traffic; at most this many payloads held in memory. */
        private int maxPendingMessages = 65_536;

        private Builder() {
        }

        public Builder servers(List<String> value) {
            servers = value;
            return this;
        }

        public Builder subjectPrefix(String value) {
            subjectPrefix = value;
            return this;
        }

        public Builder token(String value) {
            token = value;
            return this;
        }

        public Builder user(String value) {
            user = value;
            return this;
        }

        public Builder password(String value) {
            password = value;
            return this;
        }

        public Builder credsFile(String value) {
            credsFile = value;
            return this;
        }

        public Builder keepAliveInterval(Duration value) {
            keepAliveInterval = value;
            return this;
        }

        public Builder maxPendingMessages(int value) {
            maxPendingMessages = value;
            return this;
        }

        public NatsSettings build() {
            return new NatsSettings(servers, subjectPrefix, token, user, password, credsFile, keepAliveInterval,
                    maxPendingMessages);
        }
    }
}
