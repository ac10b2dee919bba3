package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.testkit.Await;
import io.switchboard.testkit.RawPeer;
import io.switchboard.core.config.WebSocket;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A message that never ends: a text frame without FIN followed by a flood of empty continuation frames.
 * Every frame takes a rate-limit token, a message has at most {@code websocket.maxFragmentsPerMessage}
 * frames and must be complete within {@code websocket.messageAssemblyTimeout}; past any of these the
 * connection is closed, and a fragmented message within them still arrives.
 */
class FragmentFloodAttackTest {
    /** Empty continuation frames sent at most by one flood (6 bytes each). */
    private static final int FLOOD_FRAMES = 100_000;

    private static RawPeer connected(int port) {
        RawPeer p = RawPeer.open(port).upgraded(port, "/ws?id=flooder", Map.of());
        assertThat(p.nextText().text()).contains("welcome");
        return p;
    }

    /** Sends the start of a text message, then up to {@code frames} empty continuations; the close code answered. */
    private static int floodCloseCode(int port, int frames) {
        try (RawPeer p = connected(port)) {
            p.write(RawPeer.frame(false, 0, RawPeer.TEXT, "{\"type\":".getBytes(StandardCharsets.UTF_8)));
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            for (int i = 0; i < 1000; i++) {
                batch.writeBytes(RawPeer.frame(false, 0, RawPeer.CONTINUATION, new byte[0]));
            }
            byte[] bytes = batch.toByteArray();
            for (int sent = 0; sent < frames && p.tryWrite(bytes); sent += 1000) {
                // the server reads and drops what follows its close until it cuts the socket
            }
            return p.awaitCloseCode();
        }
    }

    @Test
    void continuationFramesTakeRateLimitTokensSoAFloodOfThemCloses4029() {
        SecureServers s = new SecureServers(); // 100 frames/s, bursts of 200, 20 refusals in a row close
        try (SwitchboardServer server = s.start()) {
            assertThat(floodCloseCode(server.port(), FLOOD_FRAMES)).isEqualTo(4029);
            assertThat(server.securityCounters().rateLimitCloses.sum()).isEqualTo(1);
            Await.until("the flooder is unregistered", () -> server.hub().connectionCount() == 0);
        }
    }

    @Test
    void aMessageInMoreThanMaxFragmentsPerMessageFramesCloses1008() {
        SecureServers s = new SecureServers();
        s.security.rateLimitRps(1_000_000);
        s.security.rateLimitBurst(1_000_000);
        try (SwitchboardServer server = s.start()) {
            assertThat(floodCloseCode(server.port(), FLOOD_FRAMES)).isEqualTo(1008);
            Await.until("the flooder is unregistered", () -> server.hub().connectionCount() == 0);
        }
    }

    @Test
    void aMessageNotCompleteWithinMessageAssemblyTimeoutCloses1008EvenWhileThePeerKeepsPinging() throws Exception {
        SecureServers s = new SecureServers();
        WebSocket d = TestServers.websocket();
        s.websocket = d.toBuilder().readBufferBytes(0).writeBufferBytes(0).enableCompression(false)
                .messageAssemblyTimeout(Duration.ofMillis(300)).build();
        try (SwitchboardServer server = s.start(); RawPeer p = connected(server.port())) {
            p.write(RawPeer.frame(false, 0, RawPeer.TEXT, "{\"type\":".getBytes(StandardCharsets.UTF_8)));
            // A frame every 100 ms for 3 s at most: activity, within the rate limit, never the message's end.
            for (int i = 0; i < 30 && p.tryWrite(RawPeer.frame(true, 0, RawPeer.PING, new byte[0])); i++) {
                Thread.sleep(100);
            }
            assertThat(p.awaitCloseCode()).isEqualTo(1008);
        }
    }

    @Test
    void aMessageInFragmentsWithinTheLimitsArrives() {
        SecureServers s = new SecureServers();
        try (SwitchboardServer server = s.start(); RawPeer p = connected(server.port())) {
            byte[] ping = "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8);
            p.write(RawPeer.frame(false, 0, RawPeer.TEXT, new byte[] {ping[0]}));
            for (int i = 1; i < ping.length; i++) {
                p.write(RawPeer.frame(i == ping.length - 1, 0, RawPeer.CONTINUATION, new byte[] {ping[i]}));
            }
            assertThat(p.nextText().text()).contains("pong");
        }
    }
}
