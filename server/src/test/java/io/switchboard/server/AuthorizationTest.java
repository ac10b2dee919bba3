package io.switchboard.server;

import static io.switchboard.server.JwtAttackTest.connect;
import static io.switchboard.server.JwtAttackTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.sun.net.httpserver.HttpServer;
import io.switchboard.testkit.RawPeer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Room grants from claims or config, token refresh and expiry while connected, and JWKS key rotation. */
class AuthorizationTest {

    /** One full connection first: a cold JVM spends seconds on its first handshake, longer than a short token lives. */
    private static void warmUp(int port) {
        try (RawPeer p = connect(port, Jwts.hs256(Jwts.claims("warm", 60).build()))) {
            assertThat(reply(p, "{\"type\":\"ping\"}").path("type").asText()).isEqualTo("pong");
        }
    }

    private static JsonNode reply(RawPeer p, String command) {
        p.sendText(command);
        return json(p.nextText());
    }

    @Test
    void roomClaimsAllowJoinAndReadAndPublishClaimsAllowPublishingDenialsAnswerForbiddenAndKeepTheConnection() {
        try (SwitchboardServer server = SecureServers.hs256().start()) {
            int port = server.port();
            String token = Jwts.hs256(Jwts.claims("alice", 60).claim("rooms", List.of("chat:*", "news"))
                    .claim("publish", List.of("chat:general")).build());
            try (RawPeer p = connect(port, token)) {
                assertThat(reply(p, "{\"type\":\"join_room\",\"room\":\"chat:general\"}").path("type").asText())
                        .isEqualTo("room_joined");
                assertThat(reply(p, "{\"type\":\"join_room\",\"room\":\"news\"}").path("type").asText())
                        .isEqualTo("room_joined");
                JsonNode denied = reply(p, "{\"type\":\"join_room\",\"room\":\"admin\",\"id\":1}");
                assertThat(denied.path("code").asText()).isEqualTo("forbidden");
                assertThat(denied.path("error").asText()).isEqualTo("not allowed in room admin");
                assertThat(denied.path("id").asInt()).isEqualTo(1);
                assertThat(reply(p, "{\"type\":\"join_room\",\"room\":\"chat\"}").path("code").asText())
                        .isEqualTo("forbidden");
                assertThat(reply(p, "{\"type\":\"history\",\"room\":\"admin\"}").path("code").asText())
                        .isEqualTo("forbidden");
                assertThat(reply(p, "{\"type\":\"presence\",\"room\":\"admin\"}").path("code").asText())
                        .isEqualTo("forbidden");
                JsonNode pub = reply(p, "{\"type\":\"room_message\",\"room\":\"news\",\"content\":\"x\"}");
                assertThat(pub.path("code").asText()).isEqualTo("forbidden");
                assertThat(pub.path("error").asText()).isEqualTo("not allowed to publish to room news");
                assertThat(reply(p, "{\"type\":\"room_message\",\"room\":\"chat:general\",\"id\":\"m\",\"content\":\"x\"}")
                        .path("type").asText()).isEqualTo("ack");
                byte[] room = "news".getBytes(StandardCharsets.US_ASCII);
                byte[] relay = new byte[2 + room.length + 1];
                relay[0] = 0x10;
                relay[1] = (byte) room.length;
                System.arraycopy(room, 0, relay, 2, room.length);
                p.send(true, RawPeer.BINARY, relay);
                assertThat(json(p.nextText()).path("code").asText()).isEqualTo("forbidden");
                assertThat(reply(p, "{\"type\":\"ping\"}").path("type").asText()).isEqualTo("pong");
            }
        }
    }

    @Test
    void withAuthOffTheStaticRoomPolicyApplies() {
        SecureServers s = new SecureServers();
        s.security.allowedRooms(List.of("public:*"));
        try (SwitchboardServer server = s.start(); WsClient c = WsClient.welcomed(server.port(), "bob")) {
            c.send("{\"type\":\"join_room\",\"room\":\"public:1\"}");
            c.next("room_joined");
            c.send("{\"type\":\"join_room\",\"room\":\"private\"}");
            assertThat(c.next("error").path("code").asText()).isEqualTo("forbidden");
        }
    }

    @Test
    void aTokenExpiringWhileConnectedClosesWith4001() {
        try (SwitchboardServer server = SecureServers.hs256().start()) {
            warmUp(server.port());
            try (RawPeer p = connect(server.port(), Jwts.hs256(Jwts.claims("alice", 3).build()))) {
                long start = System.nanoTime();
                assertThat(p.awaitCloseCode()).isEqualTo(4001);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            }
        }
    }

    @Test
    void aRefreshWithANewTokenOfTheSameUserKeepsTheConnectionPastTheOldExpiry() {
        try (SwitchboardServer server = SecureServers.hs256().start()) {
            warmUp(server.port());
            try (RawPeer p = connect(server.port(), Jwts.hs256(Jwts.claims("alice", 3).build()))) {
                JsonNode other = reply(p, "{\"type\":\"refresh\",\"token\":\""
                        + Jwts.hs256(Jwts.claims("mallory", 60).build()) + "\"}");
                assertThat(other.path("code").asText()).isEqualTo("forbidden");
                assertThat(other.path("error").asText()).isEqualTo("token is for another user");
                JsonNode junk = reply(p, "{\"type\":\"refresh\",\"token\":\"junk\"}");
                assertThat(junk.path("code").asText()).isEqualTo("forbidden");
                assertThat(junk.path("error").asText()).startsWith("token refused: ");

                String fresh = Jwts.hs256(Jwts.claims("alice", 60).build());
                JsonNode refreshed = reply(p, "{\"type\":\"refresh\",\"id\":7,\"token\":\"" + fresh + "\"}");
                assertThat(refreshed.path("type").asText()).isEqualTo("refreshed");
                assertThat(refreshed.path("id").asInt()).isEqualTo(7);
                assertThat(refreshed.path("expiresAt").asLong()).isGreaterThan(System.currentTimeMillis() + 50_000);
                sleep(4000);
                assertThat(reply(p, "{\"type\":\"ping\"}").path("type").asText()).isEqualTo("pong");
            }
        }
    }

    @Test
    void jwksKeysRotateOnAnUnknownKidAtMostOncePerIntervalAndSurviveAnOutage() throws IOException {
        RSAKey k1 = Jwts.rsaKey("k1");
        RSAKey k2 = Jwts.rsaKey("k2");
        AtomicReference<String> published = new AtomicReference<>(new JWKSet(k1.toPublicJWK()).toString());
        AtomicInteger status = new AtomicInteger(200);
        AtomicInteger requests = new AtomicInteger();
        HttpServer jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        jwks.createContext("/jwks.json", exchange -> {
            requests.incrementAndGet();
            byte[] body = published.get().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status.get(), body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        jwks.start();
        SecureServers s = new SecureServers();
        s.security.requireAuth(true);
        s.security.jwtAlgorithms(List.of("RS256"));
        s.security.jwksUrl("http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks.json");
        s.security.jwksRefreshInterval(Duration.ofSeconds(2));
        try (SwitchboardServer server = s.start()) {
            int port = server.port();
            assertThat(requests.get()).as("fetched at start").isEqualTo(1);
            assertThat(JwtAttackTest.bearer(port, Jwts.rs256(k1, Jwts.claims("alice", 60).build())).status())
                    .isEqualTo(101);

            published.set(new JWKSet(List.of(k1.toPublicJWK(), k2.toPublicJWK())).toString());
            String signedByK2 = Jwts.rs256(k2, Jwts.claims("alice", 60).build());
            assertThat(JwtAttackTest.bearer(port, signedByK2).status()).as("unknown kid, fetch queued").isEqualTo(401);
            sleep(300);
            assertThat(JwtAttackTest.bearer(port, signedByK2).status()).as("after the refetch").isEqualTo(101);

            int before = requests.get();
            long start = System.nanoTime();
            RSAKey junk = Jwts.rsaKey("junk");
            for (int i = 0; i < 30; i++) {
                RSAKey kid = new RSAKey.Builder(junk).keyID("junk-" + i).build();
                assertThat(JwtAttackTest.bearer(port, Jwts.rs256(kid, Jwts.claims("alice", 60).build())).status())
                        .isEqualTo(401);
            }
            long intervals = Duration.ofNanos(System.nanoTime() - start).toMillis() / 2000 + 1;
            assertThat(requests.get() - before).as("fetches caused by 30 unknown kids in %d intervals", intervals)
                    .isLessThanOrEqualTo((int) (2 * intervals));

            status.set(500);
            sleep(2500);
            assertThat(requests.get()).as("the periodic refresh ran during the outage").isGreaterThan(before);
            assertThat(JwtAttackTest.bearer(port, Jwts.rs256(k1, Jwts.claims("alice", 60).build())).status())
                    .as("old keys kept through the outage").isEqualTo(101);
        } finally {
            jwks.stop(0);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
