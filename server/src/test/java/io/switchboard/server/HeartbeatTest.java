package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.server.websocket.NettySession;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.RawPeer;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** PROTOCOL.md section 5: server pings, and silence for {@code pongTimeout} closes with 1001. */
class HeartbeatTest {
    private static final Duration PING_INTERVAL = Duration.ofMillis(250);
    private static final Duration PONG_TIMEOUT = Duration.ofMillis(1000);

    private SwitchboardServer server;
    private int port;

    @BeforeEach
    void start() {
        var d = TestServers.websocket();
        server = SwitchboardServer.start(TestServers.with(TestServers.ws(PING_INTERVAL, PONG_TIMEOUT, d.writeWait(),
                d.maxFrameBytes(), d.maxMessageBytes(), d.maxQueuedBytes(), d.maxRoomsPerConnection(),
                d.maxInvalidMessages(), d.maxConnections())));
        port = server.port();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aPeerThatNeverAnswersPingsIsClosedWith1001AfterThePongTimeoutAndThenCut() throws Exception {
        long connecting = System.nanoTime();
        try (RawPeer raw = RawPeer.connect(port, "/ws?id=mute")) {
            assertThat(raw.readText()).contains("\"type\":\"welcome\"").contains("\"pingIntervalMs\":250");
            int pings = 0;
            RawPeer.Frame f;
            while ((f = raw.expectFrame()).opcode() != RawPeer.CLOSE) {
                assertThat(f.opcode()).as("only pings before the close").isEqualTo(RawPeer.PING);
                pings++;
            }
            long elapsedMillis = (System.nanoTime() - connecting) / 1_000_000;
            assertThat(pings).as("pings (every %s) before the timeout", PING_INTERVAL).isPositive();
            assertThat(f.closeCode()).isEqualTo(1001);
            assertThat(f.closeReason()).isEqualTo("heartbeat timeout");
            assertThat(elapsedMillis).isGreaterThanOrEqualTo(PONG_TIMEOUT.toMillis()).isLessThan(5000);
            // It does not answer the close either: the server cuts the socket after its close linger.
            assertThat(raw.closedByServer((int) NettySession.CLOSE_LINGER_MILLIS + 2000)).isTrue();
        }
        Await.until("the connection is unregistered", () -> server.hub().connectionCount() == 0);
    }

    @Test
    void aPeerThatAnswersPingsStaysConnectedAcrossManyPongTimeouts() throws Exception {
        try (WsClient c = WsClient.welcomed(port, "alive")) {
            Thread.sleep(PONG_TIMEOUT.toMillis() * 3);
            assertThat(c.closeCode).isNotDone();
            c.send("{\"type\":\"ping\",\"id\":1}");
            assertThat(c.next("pong").path("id").asInt()).isEqualTo(1);
            assertThat(server.hub().connectionCount()).isEqualTo(1);
        }
    }

    @Test
    void anyInboundFrameCountsAsActivity() throws Exception {
        try (RawPeer raw = RawPeer.connect(port, "/ws?id=chatty")) {
            raw.readText();
            long until = System.nanoTime() + PONG_TIMEOUT.toNanos() * 3;
            while (System.nanoTime() < until) {
                raw.sendText("{\"type\":\"ping\"}");
                assertThat(raw.readText()).isEqualTo("{\"type\":\"pong\"}");
                Thread.sleep(100);
            }
            assertThat(server.hub().connectionCount()).isEqualTo(1);
        }
    }
}
