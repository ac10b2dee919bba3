package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.config.WebSocket;
import io.switchboard.server.config.Proxy;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.Closer;
import io.switchboard.testkit.LeakDetection;
import io.switchboard.testkit.RawPeer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The connect, subscribe, publish and RPC proxies against a real HTTP backend, with real WebSocket clients. */
@ExtendWith(LeakDetection.class)
class ProxyTest {
    @RegisterExtension
    final Closer closer = new Closer();
    private TestBackend backend;
    private SwitchboardServer server;

    private int start(Proxy.Builder proxy) {
        server = closer.add(SwitchboardServer.start(TestServers.config().toBuilder().proxy(proxy.build()).build()));
        return server.port();
    }

    private static TestBackend.Response json(String body) {
        return TestBackend.Response.ok(body);
    }

    private static JsonNode join(WsClient c, String room) {
        c.send("{\"type\":\"join_room\",\"id\":1,\"room\":\"" + room + "\"}");
        return c.next();
    }

    // ---------------------------------------------------------------- connect

    @Test
    void aCookieSessionConnectsThroughTheConnectProxyWhoseGrantsApply() {
        backend = closer.add(TestBackend.start());
        backend.answer(r -> r.json().path("headers").path("Cookie").asText().contains("session=s3cret")
                ? json("{\"userId\":\"alice\",\"rooms\":[\"chat:*\"],\"publish\":[\"chat:general\"],"
                        + "\"info\":{\"name\":\"Alice\"}}")
                : json("{\"error\":{\"code\":\"forbidden\",\"message\":\"no session\"}}"));
        int port = start(Proxy.builder().connect(backend.url("/connect")));

        try (WsClient alice = WsClient.connectWithQuery(port, "?id=mallory", "Cookie", "session=s3cret; theme=dark")) {
            JsonNode welcome = alice.next("welcome");
            assertThat(welcome.path("userId").asText()).as("the backend names the user, not the query")
                    .isEqualTo("alice");
            assertThat(join(alice, "chat:general").path("type").asText()).isEqualTo("room_joined");
            JsonNode refused = join(alice, "admin");
            assertThat(refused.path("code").asText()).isEqualTo("forbidden");
            alice.send("{\"type\":\"presence\",\"room\":\"chat:general\"}");
            assertThat(alice.next("presence").path("members").get(0).path("info").path("name").asText())
                    .isEqualTo("Alice");
        }
        TestBackend.Request asked = backend.requests.peek();
        assertThat(asked.method()).isEqualTo("POST");
        JsonNode body = asked.json();
        assertThat(body.path("remoteAddr").asText()).isEqualTo("127.0.0.1");
        assertThat(body.path("headers").path("Cookie").asText()).isEqualTo("session=s3cret; theme=dark");
        assertThat(body.path("headers").has("Authorization")).isFalse();
        assertThat(body.has("token")).isFalse();

        RawPeer.Response refusedUpgrade = RawPeer.refusedUpgrade(port, "/ws");
        assertThat(refusedUpgrade.status()).isEqualTo(403);
        assertThat(refusedUpgrade.body()).contains("no session");
    }

    @Test
    void aConnectProxyThatIsDownRefusesUpgradesWith503AtOnce() {
        int port = start(Proxy.builder().connect("http://127.0.0.1:" + TestBackend.deadPort() + "/connect"));
        long t0 = System.nanoTime();
        RawPeer.Response res = RawPeer.refusedUpgrade(port, "/ws");
        assertThat(res.status()).isEqualTo(503);
        assertThat(res.body()).contains("connect proxy is unavailable, retry later");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void aClientThatHangsUpWhileTheBackendDecidesLeavesNoSlotBehind() {
        backend = closer.add(TestBackend.start());
        String accept = "{\"userId\":\"u\",\"rooms\":[\"*\"],\"publish\":[\"*\"]}";
        backend.answer(r -> new TestBackend.Response(200, accept, 300));
        server = closer.add(SwitchboardServer.start(TestServers.config().toBuilder()
                .websocket(WebSocket.builder().maxConnections(1).build())
                .proxy(Proxy.builder().connect(backend.url("/connect")).timeout(Duration.ofSeconds(2)).build())
                .build()));
        int port = server.port();
        try (RawPeer gone = RawPeer.open(port)) {
            gone.write(RawPeer.upgradeRequest(port, "/ws", Map.of()).getBytes(StandardCharsets.ISO_8859_1));
            Await.until("the backend asked", () -> backend.requests.size() == 1);
        }
        Await.until("the backend answered the one who left", () -> backend.accepted.size() == 1);

        backend.answer(r -> json(accept));
        // The only slot (websocket.maxConnections=1) is free again: a new client gets in.
        Await.until("a new client admitted", () -> {
            try (WsClient c = WsClient.connect(port, null)) {
                return c.next().path("type").asText().equals("welcome");
            } catch (RuntimeException refused) {
                return false;
            }
        });
    }

    // ---------------------------------------------------------------- subscribe

    @Test
    void theSubscribeProxyAllowsOrRefusesEachJoinWithItsCode() {
        backend = closer.add(TestBackend.start());
        backend.answer(r -> r.json().path("room").asText().startsWith("vip")
                ? json("{\"error\":{\"code\":\"room_full\",\"message\":\"members only\"}}") : json("{}"));
        int port = start(Proxy.builder().subscribe(backend.url("/subscribe")));
        try (WsClient bob = WsClient.connect(port, "bob")) {
            String connId = bob.next("welcome").path("connId").asText();
            assertThat(join(bob, "lobby").path("type").asText()).isEqualTo("room_joined");
            JsonNode refused = join(bob, "vip-lounge");
            assertThat(refused.path("type").asText()).isEqualTo("error");
            assertThat(refused.path("code").asText()).isEqualTo("room_full");
            assertThat(refused.path("error").asText()).isEqualTo("members only");
            assertThat(refused.path("id").asInt()).isEqualTo(1);
            JsonNode asked = backend.requests.peek().json();
            assertThat(asked.path("connId").asText()).isEqualTo(connId);
            assertThat(asked.path("userId").asText()).isEqualTo("bob");
            assertThat(asked.path("room").asText()).isEqualTo("lobby");
        }
    }

    // ---------------------------------------------------------------- publish

    @Test
    void thePublishProxyAllowsReplacesOrRefusesAndKeepsTheSendersOrder() {
        backend = closer.add(TestBackend.start());
        backend.answer(r -> switch (r.json().path("content").asText()) {
            case "slow" -> new TestBackend.Response(200, "{}", 300);
            case "rude" -> json("{\"content\":\"[removed]\",\"data\":{\"moderated\":true}}");
            case "spam" -> json("{\"error\":{\"code\":\"rate_limited\",\"message\":\"calm down\"}}");
            default -> json("{}");
        });
        int port = start(Proxy.builder().publish(backend.url("/publish")));
        try (WsClient alice = WsClient.welcomed(port, "alice"); WsClient bob = WsClient.welcomed(port, "bob")) {
            join(alice, "r");
            join(bob, "r");
            alice.nextOfType("user_joined_room");
            alice.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"slow\"}");
            alice.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"fast\"}");
            alice.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"rude\"}");
            alice.send("{\"type\":\"room_message\",\"id\":7,\"room\":\"r\",\"content\":\"spam\"}");
            assertThat(bob.next("room_message").path("content").asText()).isEqualTo("slow");
            assertThat(bob.next("room_message").path("content").asText()).isEqualTo("fast");
            JsonNode moderated = bob.next("room_message");
            assertThat(moderated.path("content").asText()).isEqualTo("[removed]");
            assertThat(moderated.path("data").path("moderated").asBoolean()).isTrue();
            JsonNode refused = alice.next("error");
            assertThat(refused.path("code").asText()).isEqualTo("rate_limited");
            assertThat(refused.path("error").asText()).isEqualTo("calm down");
            assertThat(refused.path("id").asInt()).isEqualTo(7);
            bob.assertNoMessage(200);
            JsonNode asked = backend.requests.peek().json();
            assertThat(asked.path("room").asText()).isEqualTo("r");
            assertThat(asked.path("userId").asText()).isEqualTo("alice");
        }
    }

    // ---------------------------------------------------------------- rpc

    @Test
    void anRpcIsAnsweredByTheBackendOrFailsWithItsError() {
        backend = closer.add(TestBackend.start());
        backend.answer(r -> r.json().path("method").asText().equals("getPrice")
                ? json("{\"data\":{\"symbol\":\"" + r.json().path("data").path("symbol").asText() + "\",\"price\":42}}")
                : json("{\"error\":{\"code\":\"invalid_field\",\"message\":\"no such method\"}}"));
        int port = start(Proxy.builder().rpc(backend.url("/rpc")));
        try (WsClient c = WsClient.welcomed(port, "carol")) {
            c.send("{\"type\":\"rpc\",\"id\":1,\"method\":\"getPrice\",\"data\":{\"symbol\":\"ACME\"}}");
            JsonNode result = c.next("rpc_result");
            assertThat(result.path("id").asInt()).isEqualTo(1);
            assertThat(result.path("data").toString()).isEqualTo("{\"symbol\":\"ACME\",\"price\":42}");
            c.send("{\"type\":\"rpc\",\"id\":2,\"method\":\"sell\"}");
            JsonNode error = c.next("error");
            assertThat(error.path("code").asText()).isEqualTo("invalid_field");
            assertThat(error.path("error").asText()).isEqualTo("no such method");
            c.send("{\"type\":\"rpc\",\"id\":3,\"method\":\"bad method\"}");
            assertThat(c.next("error").path("error").asText()).isEqualTo("method must match [A-Za-z0-9_.:/-]{1,128}");
        }
        assertThat(backend.requests.peek().json().path("userId").asText()).isEqualTo("carol");
    }

    @Test
    void anRpcWithoutABackendIsRefused() {
        int port = start(Proxy.builder());
        try (WsClient c = WsClient.welcomed(port, "carol")) {
            c.send("{\"type\":\"rpc\",\"id\":1,\"method\":\"getPrice\"}");
            JsonNode error = c.next("error");
            assertThat(error.path("code").asText()).isEqualTo("invalid_field");
            assertThat(error.path("error").asText())
                    .isEqualTo("rpc needs a backend (proxy.rpc), which is not configured on this server");
        }
    }

    // ---------------------------------------------------------------- slow and dead backends

    @Test
    void aSlowBackendGivesUnavailableAtTheDeadlineAndTheServerKeepsServing() {
        backend = closer.add(TestBackend.start());
        backend.answer(r -> new TestBackend.Response(200, "{\"data\":1}", 3000));
        int port = start(Proxy.builder().rpc(backend.url("/rpc")).subscribe(backend.url("/subscribe"))
                .timeout(Duration.ofMillis(200)));
        try (WsClient c = WsClient.welcomed(port, "dave")) {
            long t0 = System.nanoTime();
            c.send("{\"type\":\"rpc\",\"id\":1,\"method\":\"slow\"}");
            c.send("{\"type\":\"ping\",\"id\":2}");
            assertThat(c.next("pong").path("id").asInt()).as("not stalled behind the call").isEqualTo(2);
            JsonNode error = c.next("error");
            assertThat(error.path("code").asText()).isEqualTo("unavailable");
            assertThat(error.path("error").asText()).isEqualTo("rpc proxy is unavailable, retry later");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(1500));
            JsonNode refused = join(c, "room");
            assertThat(refused.path("code").asText()).isEqualTo("unavailable");
        }
    }

    @Test
    void aDeadBackendGivesUnavailableAtOnce() {
        int port = start(Proxy.builder().rpc("http://127.0.0.1:" + TestBackend.deadPort() + "/rpc"));
        try (WsClient c = WsClient.welcomed(port, "erin")) {
            long t0 = System.nanoTime();
            c.send("{\"type\":\"rpc\",\"id\":1,\"method\":\"x\"}");
            JsonNode error = c.next("error");
            assertThat(error.path("code").asText()).isEqualTo("unavailable");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
        }
    }

    @Test
    void aFailingBackendOpensTheBreakerAndIsNoLongerAsked() {
        backend = closer.add(TestBackend.start());
        backend.answer(r -> TestBackend.Response.status(500));
        int port = start(Proxy.builder().rpc(backend.url("/rpc")));
        try (WsClient c = WsClient.welcomed(port, "erin")) {
            for (int i = 1; i <= 25; i++) {
                c.send("{\"type\":\"rpc\",\"id\":" + i + ",\"method\":\"x\"}");
                assertThat(c.next("error").path("code").asText()).isEqualTo("unavailable");
            }
        }
        // Twenty failures of twenty calls open it (60% of at least 20 in 10 s); the next five fail without a request.
        assertThat(backend.requests).hasSize(20);
    }

    @Test
    void callsBeyondTheBoundInFlightAreRefusedAtOnce() {
        backend = closer.add(TestBackend.start());
        backend.answer(r -> new TestBackend.Response(200, "{\"data\":1}", 1000));
        int port = start(Proxy.builder().rpc(backend.url("/rpc")).maxPending(2).timeout(Duration.ofSeconds(5)));
        try (WsClient c = WsClient.welcomed(port, "fay")) {
            for (int i = 1; i <= 3; i++) {
                c.send("{\"type\":\"rpc\",\"id\":" + i + ",\"method\":\"x\"}");
            }
            JsonNode first = c.next();
            assertThat(first.path("type").asText()).isEqualTo("error");
            assertThat(first.path("id").asInt()).isEqualTo(3);
            assertThat(first.path("code").asText()).isEqualTo("unavailable");
            assertThat(List.of(c.next("rpc_result").path("id").asInt(), c.next("rpc_result").path("id").asInt()))
                    .containsExactlyInAnyOrder(1, 2);
        }
        assertThat(Map.of("asked", backend.requests.size())).containsEntry("asked", 2);
    }
}
