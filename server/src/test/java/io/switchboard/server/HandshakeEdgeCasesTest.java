package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.testkit.RawPeer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Upgrade requests that are not quite right, against the real server over a real socket: each gets the status
 * RFC 6455 asks for and a reason a person can act on, and none is upgraded.
 */
class HandshakeEdgeCasesTest {
    private static SwitchboardServer server;
    private static int port;

    @BeforeAll
    static void start() {
        server = SwitchboardServer.start(TestServers.config());
        port = server.port();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static RawPeer.Response handshake(String path, Map<String, String> headers) {
        try (RawPeer peer = RawPeer.open(port)) {
            return peer.handshake(port, path, headers);
        }
    }

    private static RawPeer.Response raw(String request) {
        try (RawPeer peer = RawPeer.open(port)) {
            peer.write(request.getBytes(StandardCharsets.ISO_8859_1));
            return peer.readResponse();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "7", "8", "14", ""})
    void anyVersionButThirteenIs426NamingThirteen(String version) {
        RawPeer.Response r = handshake("/ws", Map.of("Sec-WebSocket-Version", version));
        assertThat(r.status()).isEqualTo(426);
        assertThat(r.headers()).containsEntry("sec-websocket-version", "13");
        assertThat(r.body().strip()).isEqualTo("only WebSocket version 13 (RFC 6455) is supported");
    }

    @Test
    void aMissingVersionIs426Too() {
        Map<String, String> headers = new HashMap<>();
        headers.put("Sec-WebSocket-Version", null);
        RawPeer.Response r = handshake("/ws", headers);
        assertThat(r.status()).isEqualTo(426);
        assertThat(r.headers()).containsEntry("sec-websocket-version", "13");
    }

    @ParameterizedTest
    @ValueSource(strings = {"short", "AAAAAAAAAAAAAAAAAAAAAA==AA", "AAAAAAAAAAAAAAAAAAAAA===", "!!!!!!!!!!!!!!!!!!!!!!=="})
    void aKeyThatIsNotSixteenBase64BytesIs400(String key) {
        RawPeer.Response r = handshake("/ws", Map.of("Sec-WebSocket-Key", key));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body().strip()).isEqualTo("Sec-WebSocket-Key must be 16 random bytes in base64 (RFC 6455 section 4.1)");
    }

    @Test
    void aMissingKeyIs400() {
        Map<String, String> headers = new HashMap<>();
        headers.put("Sec-WebSocket-Key", null);
        assertThat(handshake("/ws", headers).status()).isEqualTo(400);
    }

    @Test
    void aValidKeyIsUpgradedWithItsAccept() {
        try (RawPeer peer = RawPeer.open(port)) {
            peer.upgraded(port, "/ws?id=edge", Map.of("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="));
            assertThat(peer.readText()).contains("\"type\":\"welcome\"");
        }
    }

    @Test
    void anUpgradeThatIsNotAGetIs400() {
        RawPeer.Response r = raw(RawPeer.upgradeRequest(port, "/ws", Map.of()).replaceFirst("GET", "POST"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body().strip()).isEqualTo("expected a WebSocket upgrade (GET with Upgrade: websocket)");
    }

    @Test
    void aDuplicatedUpgradeHeaderNamingWebSocketTwiceIsStillOneUpgrade() {
        String request = RawPeer.upgradeRequest(port, "/ws", Map.of())
                .replace("Upgrade: websocket\r\n", "Upgrade: websocket\r\nUpgrade: websocket\r\n");
        assertThat(raw(request).status()).isEqualTo(101);
    }

    @Test
    void anUpgradeToAnotherProtocolIsNoWebSocketUpgrade() {
        String request = RawPeer.upgradeRequest(port, "/ws", Map.of("Upgrade", "h2c"));
        RawPeer.Response r = raw(request);
        assertThat(r.status()).isEqualTo(400);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/websocket", "/ws/", "/index.html"})
    void anUpgradeOnAnotherPathIs404NamingTheEndpoint(String path) {
        RawPeer.Response r = handshake(path, Map.of());
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.body().strip()).isEqualTo("no WebSocket endpoint here: the WebSocket endpoint is /ws");
    }

    @Test
    void aPlainGetOfTheRootStillServesTheDemoPage() {
        RawPeer.Response r = raw("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).startsWith("<!doctype html>");
    }
}
