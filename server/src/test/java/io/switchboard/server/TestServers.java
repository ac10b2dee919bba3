package io.switchboard.server;

import io.switchboard.core.config.History;
import io.switchboard.core.config.Hub;
import io.switchboard.core.config.Security;
import io.switchboard.core.config.WebSocket;
import io.switchboard.server.config.Api;
import io.switchboard.server.config.Hooks;
import io.switchboard.server.config.Server;
import io.switchboard.server.config.Shutdown;
import io.switchboard.server.config.SwitchboardConfig;
import java.time.Duration;
import java.util.List;

/** Server configurations for tests: loopback, a free port, short timeouts. */
final class TestServers {
    static final String API_KEY = "test-api-key-0123456789";

    private TestServers() {
    }

    static Server server() {
        return Server.builder().host("127.0.0.1").port(0).ioThreads(2).nodeId("t1")
                .readTimeout(Duration.ofSeconds(5)).idleTimeout(Duration.ofSeconds(30)).build();
    }

    static WebSocket websocket() {
        return WebSocket.defaults();
    }

    static SwitchboardConfig config() {
        return with(websocket());
    }

    static SwitchboardConfig with(WebSocket ws) {
        return SwitchboardConfig.builder().server(server()).websocket(ws)
                .shutdown(Shutdown.builder().drainTimeout(Duration.ofSeconds(1)).build())
                .api(Api.builder().keys(List.of(API_KEY)).build()).security(noAbuseLimits()).build();
    }

    /**
     * Default security without the per-connection rate limit and the per-IP/user/handshake caps, and with
     * broadcast allowed at room-message size and rate: tests of other behaviour connect many clients from
     * 127.0.0.1 and publish fast. The limits and the broadcast grant have their own tests.
     */
    static Security noAbuseLimits() {
        return Security.builder().rateLimitRps(1_000_000).rateLimitBurst(1_000_000).maxConnectionsPerIp(0)
                .maxConnectionsPerUser(0).maxHandshakesPerIpPerSecond(0).clientBroadcast(true)
                .privateMessages("all").broadcastMaxBytes(64 * 1024).broadcastPerSecond(1_000_000).build();
    }

    /**
     * {@code hooks} posting to {@code url}, signed with {@code secret}, each batch sent 10 ms after its first event
     * and each attempt given up after 1 s: webhook tests wait little for events and for a backend that is down.
     */
    static Hooks.Builder hooks(Hooks.Builder hooks, String url, String secret) {
        return hooks.url(url).secret(secret).batchMaxDelay(Duration.ofMillis(10)).timeout(Duration.ofSeconds(1));
    }

    static SwitchboardConfig with(History history) {
        return config().toBuilder().history(history).build();
    }

    static SwitchboardConfig with(Hub hub) {
        return config().toBuilder().hub(hub).build();
    }

    /** WebSocket settings with the given heartbeat and limits; everything else default. */
    static WebSocket ws(Duration ping, Duration pong, Duration writeWait, int maxFrame, int maxMessage,
                        int maxQueued, int maxRooms, int maxInvalid, int maxConnections) {
        return WebSocket.builder().maxConnections(maxConnections).handshakeTimeout(Duration.ofSeconds(5))
                .pingInterval(ping).pongTimeout(pong).writeWait(writeWait).maxFrameBytes(maxFrame)
                .maxMessageBytes(maxMessage).maxQueuedBytes(maxQueued).maxRoomsPerConnection(maxRooms)
                .maxInvalidMessages(maxInvalid).build();
    }
}
