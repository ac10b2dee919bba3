package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.testkit.RawPeer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Attacks on the HTTP side from outside (issue 21), each run over real loopback sockets against a running
 * server, bounded in count and time.
 */
class HttpAttackTest {
    private SwitchboardServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] gets(String path, int count) {
        return ascii(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n").repeat(count));
    }

    private double queuedOutboundBytes() {
        return Scrape.of(server.port(), "/metrics").value("websocket_memory_usage_bytes", "component",
                "queued_outbound");
    }

    /**
     * One connection pipelines thousands of GETs of a 23 KB file and never reads: answered as fast as read,
     * they were 92 MB queued for it. Its answers must stay bounded by what it reads, and others must be served.
     */
    @Test
    void pipelinedRequestsOfAPeerThatNeverReadsQueueBoundedAnswers() throws Exception {
        server = SwitchboardServer.start(TestServers.config());
        int batches = 40;
        byte[] batch = gets("/switchboard.js", 100);
        try (RawPeer attacker = RawPeer.open("127.0.0.1", server.port(), 4096)) {
            Thread writer = new Thread(() -> {
                for (int i = 0; i < batches && attacker.tryWrite(batch); i++) {
                    // a write that blocks means the server stopped reading: the closing socket ends it
                }
            }, "pipelining-attacker");
            writer.setDaemon(true);
            writer.start();
            writer.join(5000);
            double peak = 0;
            for (int i = 0; i < 10; i++) {
                peak = Math.max(peak, queuedOutboundBytes());
                Thread.sleep(100);
            }
            // Bound: the write-buffer high-water mark (256 KiB) plus the answer that crossed it.
            assertThat(peak).as("bytes queued for the connection that never reads").isLessThan(1024 * 1024);
            for (int i = 0; i < 2; i++) { // two event loops: a bystander on each
                try (RawPeer bystander = RawPeer.open(server.port())) {
                    bystander.write(gets("/health", 1));
                    assertThat(bystander.readResponse().status()).isEqualTo(200);
                }
            }
        }
    }

    /** Distinct names of files that do not exist: each was kept as a cached miss, 517 MB after 1.54M of them. */
    @Test
    void getsOfDistinctMissingFilesLeaveNothingCached() {
        server = SwitchboardServer.start(TestServers.config());
        try (RawPeer peer = RawPeer.open(server.port())) {
            for (int round = 0; round < 40; round++) {
                StringBuilder batch = new StringBuilder();
                for (int i = 0; i < 50; i++) {
                    batch.append("GET /missing-").append(round).append('-').append(i)
                            .append(".js HTTP/1.1\r\nHost: localhost\r\n\r\n");
                }
                peer.write(ascii(batch.toString()));
                for (int i = 0; i < 50; i++) {
                    assertThat(peer.readResponse().status()).isEqualTo(404);
                }
            }
            peer.write(gets("/switchboard.js", 1));
            assertThat(peer.readResponse().status()).isEqualTo(200);
        }
        assertThat(server.staticFiles().cachedNames()).isEqualTo(1);
    }

    private static RawPeer.Response get(int port, String target, String... headers) {
        try (RawPeer peer = RawPeer.open(port)) {
            peer.write(ascii("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + String.join("", headers)
                    + "\r\n"));
            return peer.readResponse();
        }
    }

    private static final String KEY = "X-API-Key: " + TestServers.API_KEY + "\r\n";

    /** A target that does not percent-decode dropped the connection unanswered; one that did was decoded twice. */
    @Test
    void pathsAreDecodedExactlyOnceAndMalformedOnesAnswered400() {
        server = SwitchboardServer.start(TestServers.config());
        int port = server.port();
        assertThat(get(port, "/api/rooms/%zz", KEY).status()).isEqualTo(400);
        assertThat(get(port, "/api/rooms/%zz").status()).isEqualTo(400);
        assertThat(get(port, "/health%zz").status()).isEqualTo(400);
        assertThat(get(port, "/health?x=%zz").status()).isEqualTo(400);
        assertThat(get(port, "/ws?id=%zz", "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n").status())
                .isEqualTo(400);
        RawPeer.Response once = get(port, "/api/rooms/a%2Fb", KEY);
        assertThat(once.status()).isEqualTo(200);
        assertThat(once.body()).contains("\"a/b\"");
        RawPeer.Response twice = get(port, "/api/rooms/a%252Fb", KEY);
        assertThat(twice.status()).as("a%%2Fb is not a room name: %s", twice.body()).isEqualTo(400);
    }

    /** Netty's handshaker factory speaks the drafts 0, 7 and 8 too: {@code Sec-WebSocket-Version: 8} got 101. */
    @Test
    void upgradesOfOtherWebSocketVersionsAreAnswered426() {
        server = SwitchboardServer.start(TestServers.config());
        int port = server.port();
        for (String version : new String[] {"8", "7", "0", "13, 8", null}) {
            try (RawPeer peer = RawPeer.open(port)) {
                Map<String, String> headers = new HashMap<>();
                headers.put("Sec-WebSocket-Version", version);
                RawPeer.Response r = peer.handshake(port, "/ws", headers);
                assertThat(r.status()).as("version %s", version).isEqualTo(426);
                assertThat(r.headers()).containsEntry("sec-websocket-version", "13");
            }
        }
        try (RawPeer peer = RawPeer.open(port)) {
            peer.upgraded(port, "/ws", Map.of());
        }
    }

    private static RawPeer.Response post(int port, String path, String json) {
        try (RawPeer peer = RawPeer.open(port)) {
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            peer.write(ascii("POST " + path + " HTTP/1.1\r\nHost: localhost\r\n" + KEY
                    + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n"));
            peer.write(body);
            return peer.readResponse();
        }
    }

    /** Clients are held to websocket.maxMessageBytes (64 KiB); the API took 900 KiB messages into rooms. */
    @Test
    void messagesSentThroughTheApiAreHeldToTheClientsMessageCap() {
        server = SwitchboardServer.start(TestServers.config());
        int port = server.port();
        int cap = TestServers.websocket().maxMessageBytes();
        String prefix = "{\"room\":\"r\",\"to\":\"u\",\"content\":\"";
        String atCap = prefix + "x".repeat(cap - prefix.length() - 2) + "\"}";
        String overCap = prefix + "x".repeat(cap - prefix.length() - 1) + "\"}";
        assertThat(atCap.length()).isEqualTo(cap);
        assertThat(post(port, "/api/publish", atCap).status()).isEqualTo(200);
        for (String path : new String[] {"/api/publish", "/api/broadcast", "/api/private"}) {
            RawPeer.Response r = post(port, path, overCap);
            assertThat(r.status()).as(path).isEqualTo(413);
            assertThat(r.body()).contains("\"error\":\"message_too_large\"", "websocket.maxMessageBytes (65536)");
        }
        String huge = prefix + "x".repeat(900 * 1024) + "\"}";
        assertThat(post(port, "/api/publish", huge).status()).isEqualTo(413);
    }
}
