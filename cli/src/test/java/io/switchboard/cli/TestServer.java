package io.switchboard.cli;

import io.switchboard.core.config.Security;
import io.switchboard.core.config.WebSocket;
import io.switchboard.server.SwitchboardServer;
import io.switchboard.server.config.Api;
import io.switchboard.server.config.Server;
import io.switchboard.server.config.Shutdown;
import io.switchboard.server.config.SwitchboardConfig;
import java.time.Duration;
import java.util.List;

/** A real server on a free loopback port for the CLI's tests. */
final class TestServer {
    private TestServer() {
    }

    static SwitchboardServer start() {
        return start(SwitchboardConfig.defaults().websocket());
    }

    /** A server that negotiates permessage-deflate. */
    static SwitchboardServer startCompressing() {
        return start(SwitchboardConfig.defaults().websocket().toBuilder().enableCompression(true).build());
    }

    /** A server that answers more than {@code perSecond} messages a second from one connection with errors. */
    static SwitchboardServer startRateLimited(int perSecond) {
        return start(SwitchboardConfig.defaults().websocket(),
                unlimited().rateLimitRps(perSecond).rateLimitBurst(perSecond).build());
    }

    /** A server that pings every {@code pingInterval} and drops connections silent for {@code pongTimeout}. */
    static SwitchboardServer startWithHeartbeat(Duration pingInterval, Duration pongTimeout) {
        WebSocket w = SwitchboardConfig.defaults().websocket();
        return start(w.toBuilder().pingInterval(pingInterval).pongTimeout(pongTimeout).build());
    }

    private static SwitchboardServer start(WebSocket websocket) {
        return start(websocket, unlimited().build());
    }

    /** Default security without the rate limit and the per-IP, per-user and handshake caps. */
    private static Security.Builder unlimited() {
        return Security.builder().rateLimitRps(1_000_000).rateLimitBurst(1_000_000).maxConnectionsPerIp(0)
                .maxConnectionsPerUser(0).maxHandshakesPerIpPerSecond(0);
    }

    private static SwitchboardServer start(WebSocket websocket, Security security) {
        return SwitchboardServer.start(SwitchboardConfig.builder()
                .server(Server.builder().host("127.0.0.1").port(0).ioThreads(1).nodeId("cli")
                        .readTimeout(Duration.ofSeconds(5)).idleTimeout(Duration.ofSeconds(30)).build())
                .websocket(websocket).shutdown(Shutdown.builder().drainTimeout(Duration.ofSeconds(1)).build())
                .api(Api.builder().keys(List.of("cli-test-api-key-0123456789")).build()).security(security).build());
    }
}
