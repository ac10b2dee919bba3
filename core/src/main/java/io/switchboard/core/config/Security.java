package io.switchboard.core.config;

import java.time.Duration;
import java.util.List;

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
 * @param allowedOrigins origins of other sites allowed to connect (WebSocket, SSE, HTTP streaming) and to read
 *     answers across origins (CORS): exact origins, {@code https://*.example.com} patterns or {@code *}; the
 *     server's own origin (the request's Host) is always allowed
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
 * @param clientBroadcast without authentication, whether clients may send {@code broadcast}, which reaches every
 *     connection of the cluster; with {@code security.requireAuth} only a token with the claim
 *     {@code "broadcast": true} may, whatever this says
 * @param privateMessages to whom clients may send {@code private_message}: {@code all} (any connected user),
 *     {@code sharedRoom} (only users with a connection, on any node, in a room the sending connection has
 *     joined, as the presence store lists them) or {@code off}; a sender also needs a {@code publish} grant
 *     for at least one room and no {@code "private": false} claim; the API's private messages are not limited
 * @param broadcastMaxBytes largest {@code broadcast} a client may send, as delivered (content, data and
 *     envelope); larger answers {@code message_too_large}
 * @param broadcastPerSecond {@code broadcast} commands allowed per connection per second, in bursts of as many;
 *     more answer {@code rate_limited}
 */
public record Security(boolean requireAuth, @Secret String jwtSecret, String jwtPublicKeyFile, String jwksUrl,
                       Duration jwksRefreshInterval, List<String> jwtAlgorithms, String jwtIssuer,
                       String jwtAudience, Duration jwtClockSkew, String tokenCookie, List<String> allowedOrigins,
                       List<String> allowedRooms, int rateLimitRps, int rateLimitBurst,
                       int maxRateLimitViolations, int maxConnectionsPerIp, int maxConnectionsPerUser,
                       int maxHandshakesPerIpPerSecond, int maxHeaderBytes, boolean enableTls, String certFile,
                       String keyFile, boolean clientBroadcast, String privateMessages, int broadcastMaxBytes,
                       int broadcastPerSecond) {
    /** Default of {@code security.broadcastMaxBytes}: a notice, not a payload; room messages may be 64 KiB. */
    public static final int DEFAULT_BROADCAST_MAX_BYTES = 4096;
    /** Default of {@code security.broadcastPerSecond}. */
    public static final int DEFAULT_BROADCAST_PER_SECOND = 1;

    /** {@code security.privateMessages}: to any connected user. */
    public static final String PRIVATE_ALL = "all";
    /** {@code security.privateMessages}: only to users who share a room with the sender. */
    public static final String PRIVATE_SHARED_ROOM = "sharedRoom";
    /** {@code security.privateMessages}: clients send none. */
    public static final String PRIVATE_OFF = "off";
    /** The values {@code security.privateMessages} may take. */
    public static final List<String> PRIVATE_MESSAGES = List.of(PRIVATE_ALL, PRIVATE_SHARED_ROOM, PRIVATE_OFF);

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
        Check.oneOf("security.privateMessages", privateMessages, PRIVATE_MESSAGES);
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
            throw new ConfigException("security.jwtSecret", Check.HIDDEN,
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
        return "Security[requireAuth=" + requireAuth + ", jwtSecret=(" + Check.HIDDEN
                + "), jwtPublicKeyFile=" + jwtPublicKeyFile + ", jwksUrl=" + jwksUrl + ", jwksRefreshInterval="
                + Check.format(jwksRefreshInterval) + ", jwtAlgorithms=" + jwtAlgorithms + ", jwtIssuer="
                + jwtIssuer + ", jwtAudience=" + jwtAudience + ", jwtClockSkew=" + Check.format(jwtClockSkew)
                + ", tokenCookie=" + tokenCookie + ", allowedOrigins=" + allowedOrigins + ", allowedRooms="
                + allowedRooms + ", rateLimitRps=" + rateLimitRps + ", rateLimitBurst=" + rateLimitBurst
                + ", maxRateLimitViolations=" + maxRateLimitViolations + ", maxConnectionsPerIp="
                + maxConnectionsPerIp + ", maxConnectionsPerUser=" + maxConnectionsPerUser
                + ", maxHandshakesPerIpPerSecond=" + maxHandshakesPerIpPerSecond + ", maxHeaderBytes="
                + maxHeaderBytes + ", enableTls=" + enableTls + ", certFile=" + certFile + ", keyFile=" + keyFile
                + ", clientBroadcast=" + clientBroadcast + ", privateMessages=" + privateMessages
                + ", broadcastMaxBytes=" + broadcastMaxBytes + ", broadcastPerSecond=" + broadcastPerSecond + "]";
    }

    /** The documented defaults. */
    public static Security defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder().requireAuth(requireAuth).jwtSecret(jwtSecret).jwtPublicKeyFile(jwtPublicKeyFile)
                .jwksUrl(jwksUrl).jwksRefreshInterval(jwksRefreshInterval).jwtAlgorithms(jwtAlgorithms)
                .jwtIssuer(jwtIssuer).jwtAudience(jwtAudience).jwtClockSkew(jwtClockSkew).tokenCookie(tokenCookie)
                .allowedOrigins(allowedOrigins).allowedRooms(allowedRooms).rateLimitRps(rateLimitRps)
                .rateLimitBurst(rateLimitBurst).maxRateLimitViolations(maxRateLimitViolations)
                .maxConnectionsPerIp(maxConnectionsPerIp).maxConnectionsPerUser(maxConnectionsPerUser)
                .maxHandshakesPerIpPerSecond(maxHandshakesPerIpPerSecond).maxHeaderBytes(maxHeaderBytes)
                .enableTls(enableTls).certFile(certFile).keyFile(keyFile).clientBroadcast(clientBroadcast)
                .privateMessages(privateMessages).broadcastMaxBytes(broadcastMaxBytes)
                .broadcastPerSecond(broadcastPerSecond);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private boolean requireAuth;
        private String jwtSecret = "";
        private String jwtPublicKeyFile = "";
        private String jwksUrl = "";
        private Duration jwksRefreshInterval = Duration.ofMinutes(5);
        private List<String> jwtAlgorithms = List.of("HS256");
        private String jwtIssuer = "";
        private String jwtAudience = "";
        private Duration jwtClockSkew = Duration.ofSeconds(30);
        private String tokenCookie = "switchboard_token";
        private List<String> allowedOrigins = List.of();
        private List<String> allowedRooms = List.of("*");
        private int rateLimitRps = 100;
        private int rateLimitBurst = 200;
        private int maxRateLimitViolations = 20;
        private int maxConnectionsPerIp = 1000;
        private int maxConnectionsPerUser = 100;
        private int maxHandshakesPerIpPerSecond = 50;
        private int maxHeaderBytes = 8192;
        private boolean enableTls;
        private String certFile = "";
        private String keyFile = "";
        private boolean clientBroadcast;
        private String privateMessages = PRIVATE_ALL;
        private int broadcastMaxBytes = DEFAULT_BROADCAST_MAX_BYTES;
        private int broadcastPerSecond = DEFAULT_BROADCAST_PER_SECOND;

        private Builder() {
        }

        public Builder requireAuth(boolean value) {
            requireAuth = value;
            return this;
        }

        public Builder jwtSecret(String value) {
            jwtSecret = value;
            return this;
        }

        public Builder jwtPublicKeyFile(String value) {
            jwtPublicKeyFile = value;
            return this;
        }

        public Builder jwksUrl(String value) {
            jwksUrl = value;
            return this;
        }

        public Builder jwksRefreshInterval(Duration value) {
            jwksRefreshInterval = value;
            return this;
        }

        public Builder jwtAlgorithms(List<String> value) {
            jwtAlgorithms = value;
            return this;
        }

        public Builder jwtIssuer(String value) {
            jwtIssuer = value;
            return this;
        }

        public Builder jwtAudience(String value) {
            jwtAudience = value;
            return this;
        }

        public Builder jwtClockSkew(Duration value) {
            jwtClockSkew = value;
            return this;
        }

        public Builder tokenCookie(String value) {
            tokenCookie = value;
            return this;
        }

        public Builder allowedOrigins(List<String> value) {
            allowedOrigins = value;
            return this;
        }

        public Builder allowedRooms(List<String> value) {
            allowedRooms = value;
            return this;
        }

        public Builder rateLimitRps(int value) {
            rateLimitRps = value;
            return this;
        }

        public Builder rateLimitBurst(int value) {
            rateLimitBurst = value;
            return this;
        }

        public Builder maxRateLimitViolations(int value) {
            maxRateLimitViolations = value;
            return this;
        }

        public Builder maxConnectionsPerIp(int value) {
            maxConnectionsPerIp = value;
            return this;
        }

        public Builder maxConnectionsPerUser(int value) {
            maxConnectionsPerUser = value;
            return this;
        }

        public Builder maxHandshakesPerIpPerSecond(int value) {
            maxHandshakesPerIpPerSecond = value;
            return this;
        }

        public Builder maxHeaderBytes(int value) {
            maxHeaderBytes = value;
            return this;
        }

        public Builder enableTls(boolean value) {
            enableTls = value;
            return this;
        }

        public Builder certFile(String value) {
            certFile = value;
            return this;
        }

        public Builder keyFile(String value) {
            keyFile = value;
            return this;
        }

        public Builder clientBroadcast(boolean value) {
            clientBroadcast = value;
            return this;
        }

        public Builder privateMessages(String value) {
            privateMessages = value;
            return this;
        }

        public Builder broadcastMaxBytes(int value) {
            broadcastMaxBytes = value;
            return this;
        }

        public Builder broadcastPerSecond(int value) {
            broadcastPerSecond = value;
            return this;
        }

        public Security build() {
            return new Security(requireAuth, jwtSecret, jwtPublicKeyFile, jwksUrl, jwksRefreshInterval,
                    jwtAlgorithms, jwtIssuer, jwtAudience, jwtClockSkew, tokenCookie, allowedOrigins,
                    allowedRooms, rateLimitRps, rateLimitBurst, maxRateLimitViolations, maxConnectionsPerIp,
                    maxConnectionsPerUser, maxHandshakesPerIpPerSecond, maxHeaderBytes, enableTls, certFile,
                    keyFile, clientBroadcast, privateMessages, broadcastMaxBytes, broadcastPerSecond);
        }
    }
}
