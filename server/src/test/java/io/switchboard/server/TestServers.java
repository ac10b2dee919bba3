package io.switchboard.server;

import io.switchboard.core.config.Security;
import io.switchboard.core.config.SwitchboardConfig;
import java.time.Duration;
import java.util.List;

/** Server configurations for tests: loopback, a free port, short timeouts. */
final class TestServers {
    static final String API_KEY = "test-api-key-0123456789";

    private TestServers() {
    }

    static SwitchboardConfig.Server server() {
        return new SwitchboardConfig.Server("127.0.0.1", 0, 2, "t1", Duration.ofSeconds(5), Duration.ofSeconds(30),
                1024 * 1024);
    }

    static SwitchboardConfig.WebSocket websocket() {
        return SwitchboardConfig.WebSocket.defaults();
    }

    static SwitchboardConfig config() {
        return with(websocket());
    }

    static SwitchboardConfig with(SwitchboardConfig.WebSocket ws) {
        SwitchboardConfig d = SwitchboardConfig.defaults();
        return new SwitchboardConfig(server(), ws, d.hub(), d.history(), new SwitchboardConfig.Shutdown(
                Duration.ofSeconds(1)), new SwitchboardConfig.Api(List.of(API_KEY)), d.redis(), d.monitoring(),
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

    static SwitchboardConfig with(SwitchboardConfig.History history) {
        SwitchboardConfig c = config();
        return new SwitchboardConfig(c.server(), c.websocket(), c.hub(), history, c.shutdown(), c.api(), c.redis(),
                c.monitoring(), c.security());
    }

    static SwitchboardConfig with(SwitchboardConfig.Hub hub) {
        SwitchboardConfig c = config();
        return new SwitchboardConfig(c.server(), c.websocket(), hub, c.history(), c.shutdown(), c.api(), c.redis(),
                c.monitoring(), c.security());
    }

    /** WebSocket settings with the given heartbeat and limits; everything else default. */
    static SwitchboardConfig.WebSocket ws(Duration ping, Duration pong, Duration writeWait, int maxFrame, int maxMessage,
                                          int maxQueued, int maxRooms, int maxInvalid, int maxConnections) {
        return new SwitchboardConfig.WebSocket("/ws", maxConnections, 0, 0, Duration.ofSeconds(5), ping, pong, writeWait,
                maxFrame, maxMessage, maxQueued, maxRooms, maxInvalid, false);
    }
}
