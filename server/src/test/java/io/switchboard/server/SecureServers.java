package io.switchboard.server;

import io.switchboard.core.config.Security;
import io.switchboard.core.config.WebSocket;
import io.switchboard.server.config.SwitchboardConfig;
import java.time.Duration;
import java.util.List;

/** Security settings for the attack tests: a builder over {@link Security}'s many components. */
final class SecureServers {
    static final String SECRET = "test-secret-0123456789-abcdefghijklmnop";

    boolean requireAuth;
    String jwtSecret = "";
    String jwtPublicKeyFile = "";
    String jwksUrl = "";
    Duration jwksRefreshInterval = Duration.ofMinutes(5);
    List<String> jwtAlgorithms = List.of("HS256");
    String jwtIssuer = "";
    String jwtAudience = "";
    Duration jwtClockSkew = Duration.ofSeconds(0);
    String tokenCookie = "switchboard_token";
    List<String> allowedOrigins = List.of();
    List<String> allowedRooms = List.of("*");
    int rateLimitRps = 100;
    int rateLimitBurst = 200;
    int maxRateLimitViolations = 20;
    int maxConnectionsPerIp = 1000;
    int maxConnectionsPerUser = 100;
    int maxHandshakesPerIpPerSecond = 0;
    int maxHeaderBytes = 8192;
    boolean enableTls;
    String certFile = "";
    String keyFile = "";
    boolean allowBroadcast;
    boolean allowPrivateMessages = true;
    int broadcastMaxBytes = Security.DEFAULT_BROADCAST_MAX_BYTES;
    int broadcastPerSecond = Security.DEFAULT_BROADCAST_PER_SECOND;
    WebSocket websocket = TestServers.websocket();

    static SecureServers hs256() {
        SecureServers s = new SecureServers();
        s.requireAuth = true;
        s.jwtSecret = SECRET;
        return s;
    }

    Security security() {
        return new Security(requireAuth, jwtSecret, jwtPublicKeyFile, jwksUrl, jwksRefreshInterval,
                jwtAlgorithms, jwtIssuer, jwtAudience, jwtClockSkew, tokenCookie, allowedOrigins, allowedRooms,
                rateLimitRps, rateLimitBurst, maxRateLimitViolations, maxConnectionsPerIp, maxConnectionsPerUser,
                maxHandshakesPerIpPerSecond, maxHeaderBytes, enableTls, certFile, keyFile, allowBroadcast,
                allowPrivateMessages, broadcastMaxBytes, broadcastPerSecond);
    }

    SwitchboardConfig config() {
        SwitchboardConfig c = TestServers.with(websocket);
        return new SwitchboardConfig(c.server(), c.websocket(), c.hub(), c.history(), c.shutdown(), c.api(),
                c.redis(), c.monitoring(), security());
    }

    SwitchboardServer start() {
        return SwitchboardServer.start(config());
    }
}
