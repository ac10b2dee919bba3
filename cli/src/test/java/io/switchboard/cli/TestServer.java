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

    /** A server that answers more than {@code perSecond} messages a second from one connection with errors. */
    static SwitchboardServer startRateLimited(int perSecond) {
        return start(SwitchboardConfig.defaults().websocket(),
                SwitchboardConfig.defaults().security().withLimits(perSecond, perSecond, 0, 0, 0));
    }

    /** A server that pings every {@code pingInterval} and drops connections silent for {@code pongTimeout}. */
    static SwitchboardServer startWithHeartbeat(Duration pingInterval, Duration pongTimeout) {
        WebSocket w = SwitchboardConfig.defaults().websocket();
        return start(new WebSocket(w.path(), w.maxConnections(), w.readBufferBytes(),
                w.writeBufferBytes(), w.handshakeTimeout(), pingInterval, pongTimeout, w.writeWait(), w.maxFrameBytes(),
                w.maxMessageBytes(), w.maxQueuedBytes(), w.maxRoomsPerConnection(), w.maxInvalidMessages(),
                w.enableCompression()));
    }

    private static SwitchboardServer start(WebSocket websocket) {
        return start(websocket, SwitchboardConfig.defaults().security().withLimits(1_000_000, 1_000_000, 0, 0, 0));
    }

    private static SwitchboardServer start(WebSocket websocket, Security security) {
        SwitchboardConfig d = SwitchboardConfig.defaults();
        return SwitchboardServer.start(new SwitchboardConfig(
                new Server("127.0.0.1", 0, 1, "cli", Duration.ofSeconds(5), Duration.ofSeconds(30),
                        1024 * 1024),
                websocket, d.hub(), d.history(), new Shutdown(Duration.ofSeconds(1)),
                new Api(List.of("cli-test-api-key-0123456789")), d.redis(), d.monitoring(),
                security));
    }
}
