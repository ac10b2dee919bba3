package io.switchboard.server;

import io.switchboard.core.config.History;
import io.switchboard.core.config.Hub;
import io.switchboard.core.config.Security;
import io.switchboard.core.config.WebSocket;
import io.switchboard.server.config.Api;
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
        return new Server("127.0.0.1", 0, 2, "t1", Duration.ofSeconds(5), Duration.ofSeconds(30),
                1024 * 1024);
    }

    static WebSocket websocket() {
        return WebSocket.defaults();
    }

    static SwitchboardConfig config() {
        return with(websocket());
    }

    static SwitchboardConfig with(WebSocket ws) {
        SwitchboardConfig d = SwitchboardConfig.defaults();
        return new SwitchboardConfig(server(), ws, d.hub(), d.history(), new Shutdown(
                Duration.ofSeconds(1)), new Api(List.of(API_KEY)), d.redis(), d.monitoring(),
                noAbuseLimits());
    }

    /**
     * Default security without the per-connection rate limit and the per-IP/user/handshake caps, and with
     * broadcast allowed at room-message size and rate: tests of other behaviour connect many clients from
     * 127.0.0.1 and publish fast. The limits and the broadcast grant have their own tests.
     */
    static Security noAbuseLimits() {
        return Security.defaults().withLimits(1_000_000, 1_000_000, 0, 0, 0)
                .withBroadcast(true, true, 64 * 1024, 1_000_000);
    }

    static SwitchboardConfig with(History history) {
        SwitchboardConfig c = config();
        return new SwitchboardConfig(c.server(), c.websocket(), c.hub(), history, c.shutdown(), c.api(), c.redis(),
                c.monitoring(), c.security());
    }

    static SwitchboardConfig with(Hub hub) {
        SwitchboardConfig c = config();
        return new SwitchboardConfig(c.server(), c.websocket(), hub, c.history(), c.shutdown(), c.api(), c.redis(),
                c.monitoring(), c.security());
    }

    /** WebSocket settings with the given heartbeat and limits; everything else default. */
    static WebSocket ws(Duration ping, Duration pong, Duration writeWait, int maxFrame, int maxMessage,
                                          int maxQueued, int maxRooms, int maxInvalid, int maxConnections) {
        return new WebSocket("/ws", maxConnections, 0, 0, Duration.ofSeconds(5), ping, pong, writeWait,
                maxFrame, maxMessage, maxQueued, maxRooms, maxInvalid, false);
    }
}
