package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.testkit.RawPeer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Cross-site WebSocket hijacking attempts against the real server: refused with 403 before any session. */
class OriginAttackTest {

    private static RawPeer.Response upgrade(int port, String origin, String host) {
        Map<String, String> h = new HashMap<>();
        h.put("Origin", origin);
        if (host != null) {
            h.put("Host", host);
        }
        try (RawPeer p = RawPeer.open(port)) {
            return p.handshake(port, "/ws?id=alice", h);
        }
    }

    @Test
    void sameHostIsTheDefaultAndEveryForeignOriginGets403WithAReason() {
        SecureServers s = new SecureServers();
        try (SwitchboardServer server = s.start()) {
            int port = server.port();
            assertThat(upgrade(port, "http://127.0.0.1:" + port, null).status()).isEqualTo(101);
            for (String origin : List.of("https://evil.io", "null", "http://127.0.0.1:" + (port + 1),
                    "http://127.0.0.1.evil.io:" + port, "http://localhost:" + port, "file://", "javascript:alert(1)",
                    "http://127.0.0.1:" + port + "/path", "http://user@127.0.0.1:" + port, "")) {
                RawPeer.Response r = upgrade(port, origin, null);
                assertThat(r.status()).as(origin).isEqualTo(403);
                assertThat(r.body()).as(origin).startsWith("origin").isNotBlank();
            }
            assertThat(server.hub().connectionCount()).isZero();
            assertThat(server.securityCounters().originRejected.sum()).isEqualTo(10);
        }
    }

    @Test
    void allowListTakesExactOriginsAndSubdomainPatternsButNoSuffixTricksOrDowngrades() {
        SecureServers s = new SecureServers();
        s.security.allowedOrigins(List.of("https://app.example.com", "https://*.example.org"));
        try (SwitchboardServer server = s.start()) {
            int port = server.port();
            for (String ok : List.of("https://app.example.com", "https://APP.example.com", "https://app.example.com:443",
                    "https://a.example.org", "https://a.b.example.org")) {
                assertThat(upgrade(port, ok, "ws.example.com").status()).as(ok).isEqualTo(101);
            }
            for (String bad : List.of("https://app.example.com.evil.io", "http://app.example.com",
                    "https://app.example.com:8443", "https://evilapp.example.com", "https://example.org",
                    "https://a.example.org.evil.io", "https://aexample.org", "http://a.example.org", "null",
                    "https://127.0.0.1:" + port)) {
                assertThat(upgrade(port, bad, "ws.example.com").status()).as(bad).isEqualTo(403);
            }
        }
    }

    @Test
    void aStarAllowsAnyOriginOnlyWhenConfigured() {
        SecureServers s = new SecureServers();
        s.security.allowedOrigins(List.of("*"));
        try (SwitchboardServer server = s.start()) {
            assertThat(upgrade(server.port(), "https://anything.io", null).status()).isEqualTo(101);
        }
    }

    @Test
    void withoutOriginAnUpgradeNeedsABearerCredentialWhenAuthIsOn() {
        SecureServers s = SecureServers.hs256();
        try (SwitchboardServer server = s.start()) {
            int port = server.port();
            String token = Jwts.hs256(Jwts.claims("alice", 60).build());
            try (RawPeer p = RawPeer.open(port)) {
                RawPeer.Response r = p.handshake(port, "/ws?token=" + token, Map.of());
                assertThat(r.status()).isEqualTo(403);
                assertThat(r.body()).contains("without Origin");
            }
            try (RawPeer p = RawPeer.open(port)) {
                assertThat(p.handshake(port, "/ws", Map.of("Authorization", "Bearer " + token)).status())
                        .isEqualTo(101);
            }
            try (RawPeer p = RawPeer.open(port)) {
                assertThat(p.handshake(port, "/ws?token=" + token, Map.of("Origin", "http://127.0.0.1:" + port))
                        .status()).isEqualTo(101);
            }
        }
    }

    @Test
    void withoutOriginAndWithoutAuthNonBrowserClientsConnect() {
        try (SwitchboardServer server = new SecureServers().start();
             WsClient c = WsClient.welcomed(server.port(), "cli")) {
            c.send("{\"type\":\"ping\"}");
            c.next("pong");
            assertThat(server.hub().connectionCount()).isEqualTo(1);
        }
    }
}
