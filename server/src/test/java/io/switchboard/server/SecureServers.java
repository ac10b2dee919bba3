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
        return Security.builder().requireAuth(requireAuth).jwtSecret(jwtSecret).jwtPublicKeyFile(jwtPublicKeyFile)
                .jwksUrl(jwksUrl).jwksRefreshInterval(jwksRefreshInterval).jwtAlgorithms(jwtAlgorithms)
                .jwtIssuer(jwtIssuer).jwtAudience(jwtAudience).jwtClockSkew(jwtClockSkew).tokenCookie(tokenCookie)
                .allowedOrigins(allowedOrigins).allowedRooms(allowedRooms).rateLimitRps(rateLimitRps)
                .rateLimitBurst(rateLimitBurst).maxRateLimitViolations(maxRateLimitViolations)
                .maxConnectionsPerIp(maxConnectionsPerIp).maxConnectionsPerUser(maxConnectionsPerUser)
                .maxHandshakesPerIpPerSecond(maxHandshakesPerIpPerSecond).maxHeaderBytes(maxHeaderBytes)
                .enableTls(enableTls).certFile(certFile).keyFile(keyFile).allowBroadcast(allowBroadcast)
                .allowPrivateMessages(allowPrivateMessages).broadcastMaxBytes(broadcastMaxBytes)
                .broadcastPerSecond(broadcastPerSecond).build();
    }

    SwitchboardConfig config() {
        SwitchboardConfig c = TestServers.with(websocket);
        return c.toBuilder().security(security()).build();
    }

    SwitchboardServer start() {
        return SwitchboardServer.start(config());
    }
}
