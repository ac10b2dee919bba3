package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import io.switchboard.testkit.RawPeer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Forged, expired and misdirected JWTs against the real server's handshake: 401 every time, each fast. */
class JwtAttackTest {
    private static final String ISSUER = "https://issuer.test";
    private static final String AUDIENCE = "switchboard";
    /** A refusal is a few microseconds of work; this bounds it generously on a loaded machine. */
    private static final long FAST_MILLIS = 1000;

    @TempDir
    Path dir;

    private static SecureServers hs256WithIssuerAndAudience() {
        SecureServers s = SecureServers.hs256();
        s.security.jwtIssuer(ISSUER);
        s.security.jwtAudience(AUDIENCE);
        return s;
    }

    private static JWTClaimsSet.Builder good(String sub) {
        return Jwts.claims(sub, 60).issuer(ISSUER).audience(AUDIENCE);
    }

    static RawPeer.Response bearer(int port, String token) {
        try (RawPeer p = RawPeer.open(port)) {
            return p.handshake(port, "/ws?id=mallory", Map.of("Authorization", "Bearer " + token));
        }
    }

    static JsonNode json(RawPeer.Frame f) {
        assertThat(f).as("a text frame").isNotNull();
        try {
            return WsClient.JSON.readTree(f.payload());
        } catch (Exception e) {
            throw new AssertionError(f.text(), e);
        }
    }

    /** Connected with a bearer token, welcome consumed. */
    static RawPeer connect(int port, String token) {
        RawPeer p = RawPeer.open(port).upgraded(port, "/ws?id=mallory", Map.of("Authorization", "Bearer " + token));
        JsonNode welcome = json(p.nextText());
        assertThat(welcome.path("type").asText()).isEqualTo("welcome");
        return p;
    }

    @Test
    void aValidTokenConnectsAsItsSubjectAndTheIdParameterIsIgnored() {
        try (SwitchboardServer server = hs256WithIssuerAndAudience().start()) {
            int port = server.port();
            String token = Jwts.hs256(good("alice").build());
            try (RawPeer p = RawPeer.open(port)) {
                p.upgraded(port, "/ws?id=mallory", Map.of("Authorization", "Bearer " + token));
                assertThat(json(p.nextText()).path("userId").asText()).isEqualTo("alice");
            }
            try (RawPeer p = RawPeer.open(port)) {
                p.upgraded(port, "/ws?token=" + token, Map.of("Origin", "http://127.0.0.1:" + port));
                assertThat(json(p.nextText()).path("userId").asText()).isEqualTo("alice");
            }
            try (RawPeer p = RawPeer.open(port)) {
                p.upgraded(port, "/ws", Map.of("Origin", "http://127.0.0.1:" + port,
                        "Cookie", "theme=dark; switchboard_token=" + token));
                assertThat(json(p.nextText()).path("userId").asText()).isEqualTo("alice");
            }
        }
    }

    @Test
    void forgedExpiredAndMisdirectedTokensGet401Fast() {
        long now = System.currentTimeMillis();
        String payload = "{\"sub\":\"alice\",\"iss\":\"" + ISSUER + "\",\"aud\":\"" + AUDIENCE + "\",\"exp\":"
                + Jwts.inSeconds(60) + "}";
        Map<String, String> forgeries = new LinkedHashMap<>();
        forgeries.put("alg none", Jwts.raw("{\"alg\":\"none\"}", payload, new byte[0]));
        forgeries.put("alg None", Jwts.raw("{\"alg\":\"None\",\"typ\":\"JWT\"}", payload, new byte[0]));
        forgeries.put("wrong secret", Jwts.hs256("another-secret-0123456789-abcdefghijklmnop", good("alice").build()));
        forgeries.put("tampered payload", Jwts.hs256(good("alice").build()).replaceFirst("\\.[^.]+\\.",
                "." + Jwts.b64(payload.replace("alice", "admin")) + "."));
        forgeries.put("wrong iss", Jwts.hs256(good("alice").issuer("https://evil.io").build()));
        forgeries.put("wrong aud", Jwts.hs256(good("alice").audience("other").build()));
        forgeries.put("no exp", Jwts.hs256(good("alice").expirationTime(null).build()));
        forgeries.put("past exp", Jwts.hs256(good("alice").expirationTime(new Date(now - 60_000)).build()));
        forgeries.put("future nbf", Jwts.hs256(good("alice").notBeforeTime(new Date(now + 60_000)).build()));
        forgeries.put("no sub", Jwts.hs256(good(null).build()));
        forgeries.put("bad sub", Jwts.hs256(good("alice bob").build()));
        forgeries.put("junk kid", Jwts.raw("{\"alg\":\"HS256\",\"kid\":\"../../../../dev/zero\"}", payload,
                new byte[32]));
        forgeries.put("HS512 not allowed", Jwts.raw("{\"alg\":\"HS512\"}", payload, new byte[64]));
        forgeries.put("bad rooms claim", Jwts.hs256(good("alice").claim("rooms", List.of("ok", "no spaces")).build()));
        forgeries.put("encrypted (JWE) shape", "eyJhbGciOiJQQkVTMi1IUzI1NitBMTI4S1ciLCJlbmMiOiJBMTI4R0NNIiwicDJjIjo"
                + "yMDAwMDAwMDAwfQ.a.b.c.d");
        forgeries.put("garbage", "not.a.jwt");
        StringBuilder nested = new StringBuilder();
        nested.append("[".repeat(2000)).append("]".repeat(2000));
        forgeries.put("deeply nested claims", Jwts.hs256(good("alice").claim("x", "y").build())
                .replaceFirst("\\.[^.]+\\.", "." + Jwts.b64("{\"sub\":\"alice\",\"x\":" + nested + "}") + "."));
        forgeries.put("deeply nested header", Jwts.raw("{\"alg\":\"HS256\",\"x\":" + nested + "}", payload,
                new byte[32]));
        forgeries.put("64 KiB token", "a".repeat(64 * 1024));

        SecureServers s = hs256WithIssuerAndAudience();
        s.security.maxHeaderBytes(128 * 1024);
        try (SwitchboardServer server = s.start()) {
            int port = server.port();
            for (var forgery : forgeries.entrySet()) {
                long start = System.nanoTime();
                RawPeer.Response r = bearer(port, forgery.getValue());
                long millis = (System.nanoTime() - start) / 1_000_000;
                assertThat(r.status()).as(forgery.getKey() + " → " + r.body()).isEqualTo(401);
                assertThat(r.body()).as(forgery.getKey()).startsWith("invalid token: ");
                assertThat(millis).as(forgery.getKey() + " took").isLessThan(FAST_MILLIS);
            }
            assertThat(server.hub().connectionCount()).isZero();
            assertThat(server.securityCounters().authRejected.sum()).isEqualTo(forgeries.size());
        }
    }

    @Test
    void aTokenDeeplyNestedButCorrectlySignedIsStillRefused() {
        String nested = "[".repeat(1000) + "]".repeat(1000);
        try (SwitchboardServer server = SecureServers.hs256().start()) {
            String token = Jwts.hmacWithKey("{\"alg\":\"HS256\"}", "{\"sub\":\"alice\",\"exp\":" + Jwts.inSeconds(60)
                    + ",\"x\":" + nested + "}", SecureServers.SECRET.getBytes(StandardCharsets.UTF_8));
            RawPeer.Response r = bearer(server.port(), token);
            assertThat(r.status()).isEqualTo(401);
            assertThat(r.body().strip()).isEqualTo("invalid token: token JSON nested deeper than 16");
        }
    }

    @Test
    void aHugeTokenIsRefusedBeforeTheHeaderParserGrowsWithIt() {
        try (SwitchboardServer server = SecureServers.hs256().start()) {
            RawPeer.Response r = bearer(server.port(), "a".repeat(64 * 1024));
            assertThat(r.status()).isEqualTo(431);
        }
    }

    @Test
    void rs256WithAPemKeyRefusesTheHmacKeyConfusionAndNone() {
        RSAKey key = Jwts.rsaKey("r1");
        SecureServers s = new SecureServers();
        s.security.requireAuth(true);
        s.security.jwtAlgorithms(List.of("RS256"));
        try {
            s.security.jwtPublicKeyFile(Jwts.writePem(dir, key.toPublicKey()).toString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        try (SwitchboardServer server = s.start()) {
            int port = server.port();
            assertThat(bearer(port, Jwts.rs256(key, Jwts.claims("alice", 60).build())).status()).isEqualTo(101);
            String payload = "{\"sub\":\"alice\",\"exp\":" + Jwts.inSeconds(60) + "}";
            byte[] pem;
            try {
                pem = Jwts.pem(key.toPublicKey()).getBytes(StandardCharsets.US_ASCII);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            for (String forged : List.of(
                    Jwts.hmacWithKey("{\"alg\":\"HS256\"}", payload, pem),
                    Jwts.hmacWithKey("{\"alg\":\"HS256\",\"kid\":\"r1\"}", payload, pem),
                    Jwts.raw("{\"alg\":\"none\"}", payload, new byte[0]),
                    Jwts.rs256(Jwts.rsaKey("r1"), Jwts.claims("alice", 60).build()))) {
                RawPeer.Response r = bearer(port, forged);
                assertThat(r.status()).as(r.body()).isEqualTo(401);
            }
        }
    }

    @Test
    void es256RefusesThePsychicSignature() {
        ECKey key = Jwts.ecKey("e1");
        SecureServers s = new SecureServers();
        s.security.requireAuth(true);
        s.security.jwtAlgorithms(List.of("ES256"));
        try {
            s.security.jwtPublicKeyFile(Jwts.writePem(dir, key.toPublicKey()).toString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        try (SwitchboardServer server = s.start()) {
            int port = server.port();
            assertThat(bearer(port, Jwts.es256(key, Jwts.claims("alice", 60).build())).status()).isEqualTo(101);
            String payload = "{\"sub\":\"alice\",\"exp\":" + Jwts.inSeconds(60) + "}";
            // CVE-2022-21449: r = s = 0 verified as valid by unpatched JDK 15-18 ECDSA.
            for (byte[] signature : List.of(new byte[64], new byte[] {0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00},
                    new byte[0])) {
                RawPeer.Response r = bearer(port, Jwts.raw("{\"alg\":\"ES256\",\"kid\":\"e1\"}", payload, signature));
                assertThat(r.status()).as(r.body()).isEqualTo(401);
            }
        }
    }
}
