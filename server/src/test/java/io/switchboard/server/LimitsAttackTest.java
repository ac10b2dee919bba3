package io.switchboard.server;

import static io.switchboard.server.JwtAttackTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.RawPeer;
import io.switchboard.core.config.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Connection caps (per IP, per user, global), the handshake rate, header limits and the inbound token bucket. */
class LimitsAttackTest {

    private static RawPeer upgrade(String sourceIp, int port, String user) {
        RawPeer p = RawPeer.open(sourceIp, port);
        p.upgraded(port, "/ws?id=" + user, Map.of());
        return p;
    }

    private static RawPeer.Response refused(String sourceIp, int port, String user) {
        try (RawPeer p = RawPeer.open(sourceIp, port)) {
            return p.handshake(port, "/ws?id=" + user, Map.of());
        }
    }

    private static void closeAll(List<RawPeer> peers) {
        peers.forEach(RawPeer::close);
    }

    @Test
    void connectionsPerIpAreCappedPerSourceAddressAndFreedOnClose() throws Exception {
        SecureServers s = new SecureServers();
        s.security.maxConnectionsPerIp(3);
        List<RawPeer> open = new ArrayList<>();
        try (SwitchboardServer server = s.start()) {
            int port = server.port();
            for (int i = 0; i < 3; i++) {
                open.add(upgrade("127.0.0.2", port, "u" + i));
            }
            RawPeer.Response r = refused("127.0.0.2", port, "u9");
            assertThat(r.status()).isEqualTo(429);
            assertThat(r.body()).contains("security.maxConnectionsPerIp");
            open.add(upgrade("127.0.0.3", port, "v"));

            open.remove(0).close();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (server.hub().connectionCount() > 3 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(100);
            open.add(upgrade("127.0.0.2", port, "u3"));
            assertThat(server.securityCounters().perIpRejected.sum()).isEqualTo(1);
        } finally {
            closeAll(open);
        }
    }

    @Test
    void connectionsPerUserAreCapped() {
        SecureServers s = new SecureServers();
        s.security.maxConnectionsPerUser(2);
        List<RawPeer> open = new ArrayList<>();
        try (SwitchboardServer server = s.start()) {
            int port = server.port();
            open.add(upgrade("127.0.0.1", port, "alice"));
            open.add(upgrade("127.0.0.2", port, "alice"));
            RawPeer.Response r = refused("127.0.0.3", port, "alice");
            assertThat(r.status()).isEqualTo(429);
            assertThat(r.body()).contains("security.maxConnectionsPerUser");
            open.add(upgrade("127.0.0.3", port, "bob"));
        } finally {
            closeAll(open);
        }
    }

    @Test
    void handshakesPerIpPerSecondAreCappedWith429() {
        SecureServers s = new SecureServers();
        s.security.maxHandshakesPerIpPerSecond(5);
        try (SwitchboardServer server = s.start()) {
            int port = server.port();
            int accepted = 0;
            int limited = 0;
            for (int i = 0; i < 12; i++) {
                try (RawPeer p = RawPeer.open("127.0.0.4", port)) {
                    int status = p.handshake(port, "/ws?id=h" + i, Map.of()).status();
                    accepted += status == 101 ? 1 : 0;
                    limited += status == 429 ? 1 : 0;
                }
            }
            // 12 attempts take well under a second; the bucket may have refilled by one or two meanwhile.
            assertThat(accepted).isBetween(5, 7);
            assertThat(limited).isEqualTo(12 - accepted);
            try (RawPeer p = RawPeer.open("127.0.0.5", port)) {
                assertThat(p.handshake(port, "/ws?id=other", Map.of()).status()).isEqualTo(101);
            }
        }
    }

    @Test
    void theGlobalCapAnswers503() {
        SecureServers s = new SecureServers();
        s.websocket = TestServers.ws(Duration.ofSeconds(25), Duration.ofSeconds(60), Duration.ofSeconds(10), 65536,
                65536, 1024 * 1024, 100, 10, 2);
        List<RawPeer> open = new ArrayList<>();
        try (SwitchboardServer server = s.start()) {
            int port = server.port();
            open.add(upgrade("127.0.0.1", port, "a"));
            open.add(upgrade("127.0.0.1", port, "b"));
            RawPeer.Response r = refused("127.0.0.1", port, "c");
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.body().strip()).isEqualTo("server is full (websocket.maxConnections)");
        } finally {
            closeAll(open);
        }
    }

    @Test
    void oversizedHeadersAndRequestLinesAreRefusedBeforeAnyWork() {
        try (SwitchboardServer server = new SecureServers().start()) {
            int port = server.port();
            try (RawPeer p = RawPeer.open(port)) {
                assertThat(p.handshake(port, "/ws", Map.of("X-Junk", "j".repeat(9000))).status()).isEqualTo(431);
            }
            try (RawPeer p = RawPeer.open(port)) {
                assertThat(p.handshake(port, "/ws?pad=" + "p".repeat(9000), Map.of()).status()).isEqualTo(414);
            }
        }
    }

    @Test
    void roomObserversReceiveAtMostBurstPlusRateTimesTimeFromAFlooder() throws Exception {
        SecureServers s = new SecureServers();
        s.security.rateLimitRps(20);
        s.security.rateLimitBurst(10);
        s.security.maxRateLimitViolations(1_000_000);
        try (SwitchboardServer server = s.start();
             WsClient observer = WsClient.welcomed(server.port(), "observer");
             RawPeer flooder = upgrade("127.0.0.1", server.port(), "flooder")) {
            observer.send("{\"type\":\"join_room\",\"room\":\"r\"}");
            observer.next("room_joined");
            flooder.nextText();
            flooder.sendText("{\"type\":\"join_room\",\"room\":\"r\"}");
            assertThat(json(flooder.nextText()).path("type").asText()).isEqualTo("room_joined");
            observer.next("user_joined_room");

            long start = System.nanoTime();
            int sent = 0;
            while (System.nanoTime() - start < Duration.ofSeconds(2).toNanos()) {
                flooder.sendText("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"" + sent++ + "\"}");
                if (sent % 50 == 0) {
                    Thread.sleep(5);
                }
            }
            Thread.sleep(500);
            // Until now the server may still have been reading the flood: t runs to the observation.
            double seconds = (System.nanoTime() - start) / 1e9;
            long delivered = observer.drain().stream().filter(m -> m.path("type").asText().equals("room_message"))
                    .count();
            // The join took one token; the bucket refills during the whole flood.
            assertThat(sent).isGreaterThan(200);
            assertThat(delivered).isLessThanOrEqualTo((long) Math.ceil(10 + 20 * seconds));
            assertThat(delivered).isGreaterThanOrEqualTo((long) (20 * (seconds - 0.5)) - 10);
            assertThat(server.securityCounters().messagesRateLimited.sum()).isGreaterThan(0);
            JsonNode error = null;
            for (int i = 0; i < 50 && error == null; i++) {
                JsonNode m = json(flooder.nextText());
                if (m.path("code").asText().equals("rate_limited")) {
                    error = m;
                }
            }
            assertThat(error).isNotNull();
            assertThat(error.path("error").asText())
                    .isEqualTo("rate limit exceeded: 20 messages per second, bursts of 10");
        }
    }

    @Test
    void repeatedViolationsCloseWith4029() {
        SecureServers s = new SecureServers();
        s.security.rateLimitRps(10);
        s.security.rateLimitBurst(10);
        s.security.maxRateLimitViolations(5);
        try (SwitchboardServer server = s.start(); RawPeer p = upgrade("127.0.0.1", server.port(), "f")) {
            for (int i = 0; i < 100; i++) {
                if (!p.tryWrite(RawPeer.frame(true, 0, RawPeer.TEXT, "{\"type\":\"ping\"}".getBytes()))) {
                    break;
                }
            }
            assertThat(p.awaitCloseCode()).isEqualTo(4029);
            assertThat(server.securityCounters().rateLimitCloses.sum()).isEqualTo(1);
        }
    }

    @Test
    void aPingFloodCountsAgainstTheRateLimitAndCloses4029() {
        try (SwitchboardServer server = new SecureServers().start();
             RawPeer p = upgrade("127.0.0.1", server.port(), "pinger")) {
            for (int i = 0; i < 2000; i++) {
                if (!p.tryWrite(RawPeer.frame(true, 0, RawPeer.PING, new byte[125]))) {
                    break;
                }
            }
            assertThat(p.awaitCloseCode()).isEqualTo(4029);
        }
    }

    @Test
    void pingsFromAClientThatNeverReadsAreDroppedOnceTheOutboundBufferIsFull() throws Exception {
        SecureServers s = new SecureServers();
        s.security.rateLimitRps(1_000_000);
        s.security.rateLimitBurst(1_000_000);
        // Small socket send buffer and queue cap (high-water mark 32 KiB), so the test needs few pings.
        s.websocket = io.switchboard.core.config.WebSocket.builder().maxConnections(1000).writeBufferBytes(8192)
                .handshakeTimeout(Duration.ofSeconds(5)).maxQueuedBytes(64 * 1024).build();
        try (SwitchboardServer server = s.start(); RawPeer p = RawPeer.open("127.0.0.1", server.port(), 4096)) {
            p.upgraded(server.port(), "/ws?id=sleepy", Map.of());
            {
                byte[] ping = RawPeer.frame(true, 0, RawPeer.PING, new byte[125]);
                byte[] batch = new byte[ping.length * 100];
                for (int i = 0; i < 100; i++) {
                    System.arraycopy(ping, 0, batch, i * ping.length, ping.length);
                }
                // 40,000 pings = 5 MB of pongs, far more than the socket buffers hold; the client reads none.
                for (int i = 0; i < 400; i++) {
                    p.write(batch);
                }
                Await.until("pongs are dropped", Duration.ofSeconds(5), () -> server.securityCounters().pingsDropped.sum() > 0);
                assertThat(server.securityCounters().pingsDropped.sum()).isGreaterThan(1000);
            }
        }
    }
}
