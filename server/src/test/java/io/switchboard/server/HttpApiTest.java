package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.server.websocket.NettySession;
import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.RawPeer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** PROTOCOL.md section 8: health, readiness, stats and the backend API over real HTTP. */
class HttpApiTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private SwitchboardServer server;
    private int port;

    @BeforeEach
    void start() {
        server = SwitchboardServer.start(TestServers.config());
        port = server.port();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5));
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return send(request(path).GET());
    }

    private HttpResponse<String> api(String method, String path, String body) throws Exception {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body);
        return send(request(path).header("Authorization", "Bearer " + TestServers.API_KEY)
                .header("Content-Type", "application/json").method(method, publisher));
    }

    private static JsonNode json(HttpResponse<String> res) throws IOException {
        assertThat(res.headers().firstValue("Content-Type")).hasValue("application/json");
        return WsClient.JSON.readTree(res.body());
    }

    private static void assertApiError(HttpResponse<String> res, int status, String code, String message)
            throws IOException {
        assertThat(res.statusCode()).as("status of %s", res.body()).isEqualTo(status);
        JsonNode body = json(res);
        assertThat(body.path("error").asText()).isEqualTo(code);
        assertThat(body.path("message").asText()).isEqualTo(message);
    }

    private static void join(WsClient c, String room) {
        c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\"}");
        c.next("room_joined");
    }

    // ---------------------------------------------------------------- health, ready, stats

    @Test
    void healthIsOkWithEveryCheckAndTheSystemFields() throws Exception {
        HttpResponse<String> res = get("/health");
        assertThat(res.statusCode()).isEqualTo(200);
        JsonNode h = json(res);
        assertThat(h.path("status").asText()).isEqualTo("ok");
        assertThat(h.path("timestamp").asLong()).isPositive();
        assertThat(h.path("duration").isIntegralNumber()).isTrue();
        for (String check : new String[] {"eventLoops", "hub"}) {
            assertThat(h.path("checks").path(check).path("status").asText()).as(check).isEqualTo("ok");
            assertThat(h.path("checks").path(check).path("durationMs").isIntegralNumber()).as(check).isTrue();
            assertThat(h.path("checks").path(check).has("error")).as(check).isFalse();
        }
        JsonNode system = h.path("system");
        assertThat(system.path("uptimeMs").isIntegralNumber()).isTrue();
        assertThat(system.path("threads").asInt()).isPositive();
        assertThat(system.path("heapUsedBytes").asLong()).isPositive();
        assertThat(system.path("heapMaxBytes").asLong()).isPositive();
        assertThat(system.path("directUsedBytes").isIntegralNumber()).isTrue();
        assertThat(system.path("gcPauseTotalMs").isIntegralNumber()).isTrue();
        assertThat(system.path("gcCount").isIntegralNumber()).isTrue();
        assertThat(system.path("version").asText()).isEqualTo(SwitchboardServer.version());
        assertThat(system.path("connections").asInt()).isZero();
    }

    @Test
    void readyAnswers200WhileRunning() throws Exception {
        HttpResponse<String> res = get("/ready");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.body()).isEqualTo("ready\n");
    }

    @Test
    void statsCountConnectionsMessagesAndRooms() throws Exception {
        try (WsClient a = WsClient.welcomed(port, "alice")) {
            join(a, "r1");
            join(a, "r2");
            HttpResponse<String> res = get("/stats");
            assertThat(res.statusCode()).isEqualTo(200);
            JsonNode s = json(res);
            assertThat(s.path("connectionsActive").asInt()).isEqualTo(1);
            assertThat(s.path("connectionsTotal").asLong()).isEqualTo(1);
            assertThat(s.path("messagesReceived").asLong()).isEqualTo(2);
            assertThat(s.path("messagesSent").asLong()).isGreaterThanOrEqualTo(3);
            assertThat(s.path("messagesPerSecond").isNumber()).isTrue();
            assertThat(s.path("rooms").asInt()).isEqualTo(2);
        }
    }

    // ---------------------------------------------------------------- backend API

    @Test
    void publishReturnsTheOffsetAndMembersReceiveARoomMessageFromServer() throws Exception {
        try (WsClient a = WsClient.welcomed(port, "alice")) {
            join(a, "news");
            HttpResponse<String> res = api("POST", "/api/publish",
                    "{\"room\":\"news\",\"content\":\"extra\",\"data\":{\"n\":1}}");
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(json(res).path("offset").asLong()).isEqualTo(1);
            JsonNode m = a.next("room_message");
            assertThat(m.path("from").asText()).isEqualTo("server");
            assertThat(m.path("room").asText()).isEqualTo("news");
            assertThat(m.path("content").asText()).isEqualTo("extra");
            assertThat(m.path("data").path("n").asInt()).isEqualTo(1);
            assertThat(m.path("offset").asLong()).isEqualTo(1);
            assertThat(m.has("connId")).isFalse();
        }
    }

    @Test
    void theXApiKeyHeaderIsAcceptedToo() throws Exception {
        HttpResponse<String> res = send(request("/api/rooms").header("X-API-Key", TestServers.API_KEY).GET());
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(json(res).path("rooms")).isEmpty();
    }

    @Test
    void broadcastReachesEveryConnection() throws Exception {
        try (WsClient a = WsClient.welcomed(port, "alice"); WsClient b = WsClient.welcomed(port, "bob")) {
            HttpResponse<String> res = api("POST", "/api/broadcast", "{\"content\":\"maintenance at noon\"}");
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(json(res).path("ok").asBoolean()).isTrue();
            for (WsClient c : new WsClient[] {a, b}) {
                JsonNode m = c.next("broadcast");
                assertThat(m.path("from").asText()).isEqualTo("server");
                assertThat(m.path("content").asText()).isEqualTo("maintenance at noon");
            }
        }
    }

    @Test
    void privateCountsTheConnectionsItReachedAndAnUnknownUserIs404() throws Exception {
        try (WsClient b1 = WsClient.welcomed(port, "bob"); WsClient b2 = WsClient.welcomed(port, "bob")) {
            HttpResponse<String> res = api("POST", "/api/private", "{\"to\":\"bob\",\"content\":\"hi bob\"}");
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(json(res).path("delivered").asInt()).isEqualTo(2);
            assertThat(b1.next("private_message").path("from").asText()).isEqualTo("server");
            assertThat(b2.next("private_message").path("content").asText()).isEqualTo("hi bob");

            assertApiError(api("POST", "/api/private", "{\"to\":\"ghost\",\"content\":\"?\"}"), 404,
                    "user_not_found", "user ghost is not connected");
        }
    }

    @Test
    void roomsListsTheRoomsWithTheirMemberCounts() throws Exception {
        try (WsClient a = WsClient.welcomed(port, "alice"); WsClient b = WsClient.welcomed(port, "bob")) {
            join(a, "alpha");
            join(b, "alpha");
            join(b, "beta");
            JsonNode rooms = json(api("GET", "/api/rooms", null)).path("rooms");
            assertThat(rooms.toString())
                    .isEqualTo("[{\"room\":\"alpha\",\"members\":2},{\"room\":\"beta\",\"members\":1}]");
        }
    }

    @Test
    void aRoomShowsItsMembersOffsetAndEpoch() throws Exception {
        try (WsClient a = WsClient.welcomed(port, "alice")) {
            a.send("{\"type\":\"join_room\",\"room\":\"r\"}");
            JsonNode joined = a.next("room_joined");
            api("POST", "/api/publish", "{\"room\":\"r\",\"content\":\"1\"}");
            api("POST", "/api/publish", "{\"room\":\"r\",\"content\":\"2\"}");
            HttpResponse<String> res = api("GET", "/api/rooms/r", null);
            assertThat(res.statusCode()).isEqualTo(200);
            JsonNode info = json(res);
            assertThat(info.path("room").asText()).isEqualTo("r");
            assertThat(info.path("offset").asLong()).isEqualTo(2);
            assertThat(info.path("epoch").asText()).isEqualTo(joined.path("epoch").asText());
            assertThat(info.path("members")).hasSize(1);
            assertThat(info.path("policy").path("namespace").isNull()).as("a room without a namespace").isTrue();
            assertThat(info.path("policy").path("delivery").asText()).isEqualTo("all");
            assertThat(info.path("policy").path("presence").asText()).isEqualTo("full");
            assertThat(info.path("members").get(0).path("userId").asText()).isEqualTo("alice");
            assertThat(info.path("members").get(0).path("connId").asText())
                    .isEqualTo(joined.path("members").get(0).path("connId").asText());
        }
    }

    @Test
    void disconnectClosesEveryConnectionOfTheUserWith4003ByDefault() throws Exception {
        try (WsClient b1 = WsClient.welcomed(port, "bob");
             WsClient b2 = WsClient.welcomed(port, "bob");
             WsClient other = WsClient.welcomed(port, "carol")) {
            HttpResponse<String> res = api("POST", "/api/disconnect", "{\"userId\":\"bob\"}");
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(json(res).path("disconnected").asInt()).isEqualTo(2);
            assertThat(b1.awaitClose()).isEqualTo(4003);
            assertThat(b2.awaitClose()).isEqualTo(4003);
            assertThat(b1.closeReason.getNow(null)).isEqualTo("disconnected by the server");
            other.send("{\"type\":\"ping\"}");
            other.next("pong");
        }
    }

    @Test
    void aDisconnectedUserLeavesItsRoomsAtOnceEvenIfItsClientNeverAnswersTheClose() throws Exception {
        try (WsClient alice = WsClient.welcomed(port, "alice"); RawPeer bob = RawPeer.connect(port, "/ws?id=bob")) {
            bob.readText();
            join(alice, "r");
            bob.sendText("{\"type\":\"join_room\",\"room\":\"r\"}");
            alice.next("user_joined_room");
            long t0 = System.nanoTime();
            assertThat(json(api("POST", "/api/disconnect", "{\"userId\":\"bob\"}")).path("disconnected").asInt())
                    .isEqualTo(1);
            assertThat(alice.next("user_left_room").path("userId").asText()).isEqualTo("bob");
            assertThat((System.nanoTime() - t0) / 1_000_000).as("ms until bob left the room")
                    .isLessThan(NettySession.CLOSE_LINGER_MILLIS);
            assertThat(server.hub().localMembers("r").stream().map(m -> m.userId())).containsExactly("alice");
            assertThat(bob.readUntilClose().closeCode()).isEqualTo(4003);
        }
    }

    @Test
    void disconnectUsesTheGivenCode() throws Exception {
        try (WsClient b = WsClient.welcomed(port, "bob")) {
            api("POST", "/api/disconnect", "{\"userId\":\"bob\",\"code\":4008}");
            assertThat(b.awaitClose()).isEqualTo(4008);
        }
    }

    @Test
    void disconnectRefusesCodesThatMeanAProtocolFault() throws Exception {
        assertApiError(api("POST", "/api/disconnect", "{\"userId\":\"bob\",\"code\":1002}"), 400, "invalid_field",
                "code must be one of 1000, 1001, 1008, 1011, 1012, 1013, 4001, 4003, 4008, 4029");
    }

    @Test
    void aBodyThatIsNotJsonIs400InvalidJson() throws Exception {
        assertApiError(api("POST", "/api/publish", "{not json"), 400, "invalid_json", "body must be a JSON object");
        assertApiError(api("POST", "/api/publish", "[1]"), 400, "invalid_json", "body must be a JSON object");
    }

    @Test
    void aMissingFieldIs400InvalidField() throws Exception {
        assertApiError(api("POST", "/api/publish", "{\"content\":\"no room\"}"), 400, "invalid_field",
                "room must match [A-Za-z0-9_.:@/-]{1,128}");
        assertApiError(api("POST", "/api/private", "{\"content\":\"to nobody\"}"), 400, "invalid_field",
                "to must match [A-Za-z0-9_.:@-]{1,64}");
        assertApiError(api("POST", "/api/disconnect", "{}"), 400, "invalid_field",
                "userId must match [A-Za-z0-9_.:@-]{1,64}");
        assertApiError(api("POST", "/api/publish", "{\"room\":\"r\",\"content\":5}"), 400, "invalid_field",
                "content must be a string");
        assertApiError(api("POST", "/api/publish", "{\"room\":\"r\"}"), 400, "invalid_field",
                "a room message needs content or data");
        assertApiError(api("POST", "/api/publish", "{\"room\":\"r\",\"data\":null}"), 400, "invalid_field",
                "a room message needs content or data");
    }

    @Test
    void aWrongOrMissingKeyIs401() throws Exception {
        assertApiError(send(request("/api/rooms").header("Authorization", "Bearer wrong").GET()), 401,
                "unauthorized", "missing or invalid API key");
        assertApiError(send(request("/api/rooms").header("X-API-Key", "wrong").GET()), 401,
                "unauthorized", "missing or invalid API key");
        assertApiError(send(request("/api/rooms").GET()), 401, "unauthorized", "missing or invalid API key");
        assertApiError(send(request("/api/publish").POST(HttpRequest.BodyPublishers.ofString("{\"room\":\"r\"}"))),
                401, "unauthorized", "missing or invalid API key");
    }

    @Test
    void aWrongMethodIs405() throws Exception {
        assertApiError(api("GET", "/api/publish", null), 405, "method_not_allowed", "use POST");
        assertApiError(api("POST", "/api/rooms", "{}"), 405, "method_not_allowed", "use GET");
    }

    @Test
    void anUnknownPathIs404() throws Exception {
        assertApiError(api("GET", "/api/nope", null), 404, "not_found", "no such endpoint: /api/nope");
        HttpResponse<String> res = get("/no-such-page");
        assertThat(res.statusCode()).isEqualTo(404);
        assertThat(res.body()).isEqualTo("not found\n");
    }

    // ---------------------------------------------------------------- upgrade refusals

    @Test
    void anInvalidUserIdIsRefusedWith400BeforeTheUpgrade() throws Exception {
        RawPeer.Response answer = RawPeer.refusedUpgrade(port, "/ws?id=no%20spaces");
        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.headers().get("content-type")).startsWithIgnoringCase("text/plain");
        assertThat(answer.body()).isEqualTo("id must match [A-Za-z0-9_.:@-]{1,64}\n");
        RawPeer.Response tooLong = RawPeer.refusedUpgrade(port, "/ws?id=" + "a".repeat(65));
        assertThat(tooLong.status()).isEqualTo(400);
    }

    @Test
    void upgradesBeyondMaxConnectionsAreRefusedWith503UntilOneCloses() throws Exception {
        server.close();
        var d = TestServers.websocket();
        server = SwitchboardServer.start(TestServers.with(TestServers.ws(d.pingInterval(), d.pongTimeout(),
                d.writeWait(), d.maxFrameBytes(), d.maxMessageBytes(), d.maxQueuedBytes(), d.maxRoomsPerConnection(),
                d.maxInvalidMessages(), 2)));
        port = server.port();
        try (WsClient a = WsClient.welcomed(port, "a")) {
            try (WsClient b = WsClient.welcomed(port, "b")) {
                RawPeer.Response answer = RawPeer.refusedUpgrade(port, "/ws?id=c");
                assertThat(answer.status()).isEqualTo(503);
                assertThat(answer.headers().get("content-type")).startsWithIgnoringCase("text/plain");
                assertThat(answer.body()).isEqualTo("server is full (websocket.maxConnections)\n");
                b.send("{\"type\":\"ping\"}");
                b.next("pong");
            }
            // A probe that succeeds would hold the slot itself for a moment, so the probe is the client.
            WsClient[] admitted = new WsClient[1];
            Await.until("the closed connection frees its slot", () -> {
                try {
                    admitted[0] = WsClient.welcomed(port, "c");
                    return true;
                } catch (RuntimeException e) {
                    return false;
                }
            });
            try (WsClient c = admitted[0]) {
                c.send("{\"type\":\"ping\"}");
                c.next("pong");
            }
            assertThat(a.closeCode).isNotDone();
        }
    }
}
