package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.testkit.RawPeer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Embedding in another site against the real server: one origin list for connecting and for CORS, the
 * server's own origin always allowed, and refusals a page can read and act on.
 */
class CrossOriginTest {
    private static final String APP = "http://app.example.com";
    private static final String OTHER = "http://other.example.com";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static HttpResponse<String> send(int port, String method, String path, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).method(method, HttpRequest.BodyPublishers.noBody());
        headers.forEach(b::header);
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static RawPeer.Response upgrade(int port, String pathAndQuery, String origin) {
        try (RawPeer p = RawPeer.open(port)) {
            return p.handshake(port, pathAndQuery, Map.of("Origin", origin));
        }
    }

    private static SecureServers listing(String... origins) {
        SecureServers s = new SecureServers();
        s.security.allowedOrigins(List.of(origins));
        return s;
    }

    @Test
    void theServersOwnOriginStaysAllowedWhenOtherOriginsAreListed() {
        try (SwitchboardServer server = listing(APP).start()) {
            int port = server.port();
            assertThat(upgrade(port, "/ws?id=alice", "http://127.0.0.1:" + port).status()).isEqualTo(101);
            assertThat(upgrade(port, "/ws?id=alice", APP).status()).isEqualTo(101);
            RawPeer.Response refused = upgrade(port, "/ws?id=alice", OTHER);
            assertThat(refused.status()).isEqualTo(403);
            assertThat(refused.body())
                    .isEqualTo("origin http://other.example.com is not allowed (add it to security.allowedOrigins)\n");
        }
    }

    @Test
    void withoutTlsAnHttpsPageOfTheSameHostIsTheServersOwnOriginToo() {
        // A TLS-terminating proxy in front presents https for the host the plain server sees.
        SecureServers s = listing(APP);
        try (SwitchboardServer server = s.start()) {
            assertThat(upgrade(server.port(), "/ws", "https://127.0.0.1:" + server.port()).status()).isEqualTo(101);
        }
    }

    @Test
    void theClientLibraryAnswersAllowedOriginsWithCredentialsAndOthersWithoutThem() {
        try (SwitchboardServer server = listing(APP).start()) {
            int port = server.port();
            HttpResponse<String> allowed = send(port, "GET", "/switchboard.js", Map.of("Origin", APP));
            assertThat(allowed.statusCode()).isEqualTo(200);
            assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).contains(APP);
            assertThat(allowed.headers().firstValue("Access-Control-Allow-Credentials")).contains("true");
            assertThat(allowed.headers().allValues("Vary")).contains("origin");
            assertThat(allowed.body()).contains("export class SwitchboardClient");

            HttpResponse<String> own = send(port, "GET", "/switchboard.js", Map.of("Origin", "http://127.0.0.1:" + port));
            assertThat(own.headers().firstValue("Access-Control-Allow-Origin")).contains("http://127.0.0.1:" + port);

            // Public and the same for everyone: another origin may load it (to learn why it is refused), without
            // credentials.
            HttpResponse<String> foreign = send(port, "GET", "/switchboard.js", Map.of("Origin", OTHER));
            assertThat(foreign.statusCode()).isEqualTo(200);
            assertThat(foreign.headers().firstValue("Access-Control-Allow-Origin")).contains("*");
            assertThat(foreign.headers().firstValue("Access-Control-Allow-Credentials")).isEmpty();

            // Endpoints a page on another site has no business reading get no CORS headers at all.
            HttpResponse<String> stats = send(port, "GET", "/stats", Map.of("Origin", APP));
            assertThat(stats.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        }
    }

    @Test
    void aPreflightIsAnsweredForAnAllowedOriginAndRefusedWithTheSettingsNameOtherwise() {
        try (SwitchboardServer server = listing(APP).start()) {
            int port = server.port();
            Map<String, String> ask = Map.of("Origin", APP, "Access-Control-Request-Method", "GET",
                    "Access-Control-Request-Headers", "authorization");
            HttpResponse<String> ok = send(port, "OPTIONS", "/switchboard.js", ask);
            assertThat(ok.statusCode()).isEqualTo(204);
            assertThat(ok.headers().firstValue("Access-Control-Allow-Origin")).contains(APP);
            assertThat(ok.headers().firstValue("Access-Control-Allow-Methods")).contains("GET, POST, OPTIONS");
            assertThat(ok.headers().firstValue("Access-Control-Allow-Headers").orElse(""))
                    .contains("Authorization");
            assertThat(ok.headers().firstValue("Access-Control-Max-Age")).contains("600");

            HttpResponse<String> no = send(port, "OPTIONS", "/switchboard.js",
                    Map.of("Origin", OTHER, "Access-Control-Request-Method", "GET"));
            assertThat(no.statusCode()).isEqualTo(403);
            assertThat(no.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
            assertThat(no.body())
                    .isEqualTo("origin http://other.example.com is not allowed (add it to security.allowedOrigins)\n");
        }
    }

    @Test
    void theUpgradeCheckTellsARefusedPageWhyAsJsonItCanRead() {
        try (SwitchboardServer server = listing(APP).start()) {
            HttpResponse<String> r = send(server.port(), "GET", "/ws/check?id=alice", Map.of("Origin", OTHER));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).contains(OTHER);
            assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
            assertThat(r.body()).isEqualTo("{\"admitted\":false,\"status\":403,\"reason\":\"origin "
                    + "http://other.example.com is not allowed (add it to security.allowedOrigins)\",\"retry\":false}");

            HttpResponse<String> ok = send(server.port(), "GET", "/ws/check?id=alice", Map.of("Origin", APP));
            assertThat(ok.body()).isEqualTo("{\"admitted\":true}");
            assertThat(server.hub().connectionCount()).isZero();
        }
    }

    @Test
    void anExpiredTokenIsNamedAtTheDoorAndByTheCheck() {
        SecureServers s = SecureServers.hs256();
        s.security.allowedOrigins(List.of(APP));
        try (SwitchboardServer server = s.start()) {
            int port = server.port();
            String expired = Jwts.hs256(Jwts.claims("alice", -60).build());
            RawPeer.Response refused = upgrade(port, "/ws?token=" + expired, APP);
            assertThat(refused.status()).isEqualTo(401);
            assertThat(refused.body()).isEqualTo("invalid token: expired\n");
            HttpResponse<String> r = send(port, "GET", "/ws/check?token=" + expired, Map.of("Origin", APP));
            assertThat(r.body()).isEqualTo(
                    "{\"admitted\":false,\"status\":401,\"reason\":\"invalid token: expired\",\"retry\":false}");
        }
    }

    @Test
    void theCheckTakesNoConnectionSlot() {
        SecureServers s = listing(APP);
        s.security.maxConnectionsPerUser(1);
        try (SwitchboardServer server = s.start()) {
            int port = server.port();
            for (int i = 0; i < 3; i++) {
                assertThat(send(port, "GET", "/ws/check?id=bob", Map.of("Origin", APP)).body())
                        .isEqualTo("{\"admitted\":true}");
            }
            try (RawPeer bob = RawPeer.open(port)) {
                assertThat(bob.handshake(port, "/ws?id=bob", Map.of("Origin", APP)).status()).isEqualTo(101);
                Optional<String> full = Optional.of(send(port, "GET", "/ws/check?id=bob", Map.of("Origin", APP)).body());
                assertThat(full).contains("{\"admitted\":false,\"status\":429,\"reason\":\"too many connections for "
                        + "this user (security.maxConnectionsPerUser)\",\"retry\":true}");
            }
        }
    }
}
