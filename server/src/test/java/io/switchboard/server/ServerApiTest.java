package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.TimeSource;
import io.switchboard.core.broker.MemoryBroker;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.presence.MemoryPresenceStore;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.server.observability.Instrumentation;
import io.switchboard.testkit.LeakDetection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The backend API's subscriptions, history, presence, room pages, batches and description, over real HTTP. */
@ExtendWith(LeakDetection.class)
class ServerApiTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final List<SwitchboardServer> nodes = new ArrayList<>();

    @AfterEach
    void stop() {
        nodes.forEach(SwitchboardServer::close);
    }

    private int start() {
        nodes.add(SwitchboardServer.start(TestServers.config()));
        return nodes.get(0).port();
    }

    /** Two nodes over one in-memory broker bus, history and presence. */
    private void startTwo() {
        MemoryBroker.Bus bus = new MemoryBroker.Bus();
        SwitchboardConfig base = TestServers.config();
        MemoryHistoryStore history = new MemoryHistoryStore(base.history().size(), base.history().ttl(),
                TimeSource.SYSTEM);
        MemoryPresenceStore presence = new MemoryPresenceStore();
        for (String node : List.of("n1", "n2")) {
            SwitchboardConfig config = base.toBuilder()
                    .server(base.server().toBuilder().port(0).ioThreads(1).nodeId(node).build()).build();
            nodes.add(SwitchboardServer.start(config, Instrumentation.defaults(),
                    new Hub.Backends(history, bus.broker(), presence, null, null)));
        }
    }

    private static HttpResponse<String> call(int port, String method, String path, String body) throws Exception {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body);
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + TestServers.API_KEY)
                .header("Content-Type", "application/json").method(method, publisher).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode ok(HttpResponse<String> res) throws Exception {
        assertThat(res.statusCode()).as("status of %s", res.body()).isEqualTo(200);
        return WsClient.JSON.readTree(res.body());
    }

    private static JsonNode get(int port, String path) throws Exception {
        return ok(call(port, "GET", path, null));
    }

    private static JsonNode post(int port, String path, String body) throws Exception {
        return ok(call(port, "POST", path, body));
    }

    private static void assertError(HttpResponse<String> res, int status, String code, String message)
            throws Exception {
        assertThat(res.statusCode()).as("status of %s", res.body()).isEqualTo(status);
        JsonNode body = WsClient.JSON.readTree(res.body());
        assertThat(body.path("error").asText()).isEqualTo(code);
        assertThat(body.path("message").asText()).isEqualTo(message);
    }

    private static void join(WsClient c, String room) {
        c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\"}");
        c.nextOfType("room_joined");
    }

    private static List<String> contents(JsonNode messages) {
        List<String> out = new ArrayList<>();
        messages.forEach(m -> out.add(m.path("content").asText()));
        return out;
    }

    // ---------------------------------------------------------------- subscribe, unsubscribe

    @Test
    void subscribeJoinsEveryConnectionOfTheUserAndTellsThemTheServerDidIt() throws Exception {
        int port = start();
        try (WsClient phone = WsClient.welcomed(port, "alice"); WsClient laptop = WsClient.welcomed(port, "alice");
             WsClient bob = WsClient.welcomed(port, "bob")) {
            join(bob, "team");
            assertThat(post(port, "/api/subscribe", "{\"userId\":\"alice\",\"room\":\"team\"}").path("connections")
                    .asInt()).isEqualTo(2);
            for (WsClient c : List.of(phone, laptop)) {
                JsonNode joined = c.nextOfType("room_joined"); // perhaps after the other one's user_joined_room
                assertThat(joined.path("room").asText()).isEqualTo("team");
                assertThat(joined.path("server").asBoolean()).isTrue();
                assertThat(joined.has("id")).isFalse();
                assertThat(joined.path("members").toString()).contains("\"bob\"");
            }
            assertThat(bob.next("user_joined_room").path("userId").asText()).isEqualTo("alice");
            bob.send("{\"type\":\"room_message\",\"room\":\"team\",\"content\":\"hello\"}");
            assertThat(phone.nextOfType("room_message").path("content").asText()).isEqualTo("hello");
            assertThat(laptop.nextOfType("room_message").path("content").asText()).isEqualTo("hello");

            // Already in: nothing new to tell.
            post(port, "/api/subscribe", "{\"userId\":\"alice\",\"room\":\"team\"}");
            phone.assertNoMessage(200);

            assertThat(post(port, "/api/unsubscribe", "{\"userId\":\"alice\",\"room\":\"team\"}").path("connections")
                    .asInt()).isEqualTo(2);
            for (WsClient c : List.of(phone, laptop)) {
                JsonNode left = c.nextOfType("room_left"); // perhaps after the other one's user_left_room
                assertThat(left.path("room").asText()).isEqualTo("team");
                assertThat(left.path("server").asBoolean()).isTrue();
            }
            bob.send("{\"type\":\"room_message\",\"room\":\"team\",\"content\":\"gone?\"}");
            phone.assertNoMessage(200);
        }
    }

    @Test
    void subscribeReachesTheUsersConnectionsOnOtherNodes() throws Exception {
        startTwo();
        int port1 = nodes.get(0).port();
        int port2 = nodes.get(1).port();
        try (WsClient there = WsClient.welcomed(port2, "alice")) {
            assertThat(post(port1, "/api/subscribe", "{\"userId\":\"alice\",\"room\":\"team\"}").path("connections")
                    .asInt()).as("none on the node that took the call").isZero();
            JsonNode joined = there.next("room_joined");
            assertThat(joined.path("server").asBoolean()).isTrue();
            post(port1, "/api/publish", "{\"room\":\"team\",\"content\":\"across\"}");
            assertThat(there.nextOfType("room_message").path("content").asText()).isEqualTo("across");
            post(port1, "/api/unsubscribe", "{\"userId\":\"alice\",\"room\":\"team\"}");
            assertThat(there.next("room_left").path("server").asBoolean()).isTrue();
        }
    }

    @Test
    void subscribeChecksItsFields() throws Exception {
        int port = start();
        assertError(call(port, "POST", "/api/subscribe", "{\"room\":\"team\"}"), 400, "invalid_field",
                "userId must match [A-Za-z0-9_.:@-]{1,64}");
        assertError(call(port, "POST", "/api/unsubscribe", "{\"userId\":\"a\",\"room\":\"no space\"}"), 400,
                "invalid_field", "room must match [A-Za-z0-9_.:@/-]{1,128}");
        assertError(call(port, "GET", "/api/subscribe", null), 405, "method_not_allowed", "use POST");
        assertThat(post(port, "/api/subscribe", "{\"userId\":\"nobody\",\"room\":\"r\"}").path("connections").asInt())
                .isZero();
    }

    // ---------------------------------------------------------------- history

    @Test
    void historyPagesForwardAndBackward() throws Exception {
        int port = start();
        for (int i = 1; i <= 5; i++) {
            post(port, "/api/publish", "{\"room\":\"news\",\"content\":\"m" + i + "\"}");
        }
        JsonNode all = get(port, "/api/history?room=news");
        assertThat(all.path("room").asText()).isEqualTo("news");
        assertThat(all.path("epoch").asText()).isNotEmpty();
        assertThat(contents(all.path("messages"))).containsExactly("m1", "m2", "m3", "m4", "m5");
        assertThat(all.path("messages").get(0).path("offset").asLong()).isEqualTo(1);
        assertThat(contents(get(port, "/api/history?room=news&limit=2").path("messages"))).containsExactly("m4", "m5");
        assertThat(contents(get(port, "/api/history?room=news&since=1&limit=2").path("messages")))
                .containsExactly("m2", "m3");
        assertThat(contents(get(port, "/api/history?room=news&limit=2&reverse=true").path("messages")))
                .containsExactly("m5", "m4");
        assertThat(contents(get(port, "/api/history?room=news&since=3&reverse=true").path("messages")))
                .containsExactly("m5", "m4");
        assertThat(get(port, "/api/history?room=empty").path("messages")).isEmpty();

        assertError(call(port, "GET", "/api/history?room=news&limit=0", null), 400, "invalid_field",
                "limit must be a whole number from 1 to 100");
        assertError(call(port, "GET", "/api/history?room=news&since=-1", null), 400, "invalid_field",
                "since must be a whole number of at least 0");
        assertError(call(port, "GET", "/api/history?room=news&reverse=yes", null), 400, "invalid_field",
                "reverse must be true or false");
        assertError(call(port, "GET", "/api/history", null), 400, "invalid_field",
                "room must match [A-Za-z0-9_.:@/-]{1,128}");
    }

    // ---------------------------------------------------------------- presence, rooms

    @Test
    void presenceComesInPagesWithACursorAndTheTotal() throws Exception {
        int port = start();
        List<WsClient> clients = new ArrayList<>();
        try {
            for (String user : List.of("carol", "alice", "bob")) {
                WsClient c = WsClient.welcomed(port, user);
                join(c, "lobby");
                clients.add(c);
            }
            JsonNode first = get(port, "/api/presence?room=lobby&limit=2");
            assertThat(first.path("count").asInt()).isEqualTo(3);
            assertThat(first.path("members")).extracting(m -> m.path("userId").asText()).containsExactly("alice", "bob");
            String cursor = first.path("cursor").asText();
            assertThat(cursor).isNotEmpty();
            JsonNode second = get(port, "/api/presence?room=lobby&limit=2&cursor=" + cursor);
            assertThat(second.path("members")).extracting(m -> m.path("userId").asText()).containsExactly("carol");
            assertThat(second.path("cursor").isNull()).isTrue();
            assertThat(get(port, "/api/presence?room=lobby").path("members")).hasSize(3);
            assertError(call(port, "GET", "/api/presence?room=lobby&cursor=%25%25", null), 400, "invalid_field",
                    "cursor is not one a presence reply gave");
        } finally {
            clients.forEach(WsClient::close);
        }
    }

    @Test
    void roomsComeInPagesByName() throws Exception {
        int port = start();
        try (WsClient a = WsClient.welcomed(port, "alice")) {
            for (String room : List.of("gamma", "alpha", "beta")) {
                join(a, room);
            }
            JsonNode first = get(port, "/api/rooms?limit=2");
            assertThat(first.path("rooms").toString())
                    .isEqualTo("[{\"room\":\"alpha\",\"members\":1},{\"room\":\"beta\",\"members\":1}]");
            JsonNode second = get(port, "/api/rooms?limit=2&cursor=" + first.path("cursor").asText());
            assertThat(second.path("rooms").toString()).isEqualTo("[{\"room\":\"gamma\",\"members\":1}]");
            assertThat(second.path("cursor").isNull()).isTrue();
            assertThat(get(port, "/api/rooms").path("rooms")).hasSize(3);
        }
    }

    // ---------------------------------------------------------------- batch

    @Test
    void aBatchRunsInOrderAndAnswersEachCommandInItsPlace() throws Exception {
        int port = start();
        try (WsClient bob = WsClient.welcomed(port, "bob"); WsClient carol = WsClient.welcomed(port, "carol")) {
            join(bob, "feed");
            JsonNode replies = post(port, "/api/batch", """
                    {"commands":[
                      {"method":"subscribe","params":{"userId":"carol","room":"feed"}},
                      {"method":"publish","params":{"room":"feed","content":"one"}},
                      {"method":"private","params":{"to":"nobody","content":"hi"}},
                      {"method":"publish","params":{"room":"feed","content":"two"}},
                      {"method":"publish","params":{"room":"bad room","content":"x"}}
                    ]}""").path("replies");
            assertThat(replies).hasSize(5);
            assertThat(replies.get(0).path("connections").asInt()).isEqualTo(1);
            assertThat(replies.get(1).path("offset").asLong()).isEqualTo(1);
            assertThat(replies.get(2).path("error").asText()).isEqualTo("user_not_found");
            assertThat(replies.get(3).path("offset").asLong()).isEqualTo(2);
            assertThat(replies.get(4).path("error").asText()).isEqualTo("invalid_field");
            assertThat(replies.get(4).path("message").asText()).isEqualTo("room must match [A-Za-z0-9_.:@/-]{1,128}");
            assertThat(bob.nextOfType("room_message").path("content").asText()).isEqualTo("one");
            assertThat(bob.nextOfType("room_message").path("content").asText()).isEqualTo("two");
            assertThat(carol.next("room_joined").path("server").asBoolean()).isTrue();
        }
    }

    @Test
    void aMalformedBatchRunsNothing() throws Exception {
        int port = start();
        assertError(call(port, "POST", "/api/batch", """
                {"commands":[{"method":"publish","params":{"room":"r","content":"x"}},{"method":"shout","params":{}}]}"""),
                400, "invalid_field", "commands[1].method must be one of broadcast, disconnect, private, publish,"
                        + " subscribe, unsubscribe");
        assertError(call(port, "POST", "/api/batch", "{\"commands\":[]}"), 400, "invalid_field",
                "commands must be an array of 1 to 1000 commands");
        assertError(call(port, "POST", "/api/batch", "{\"commands\":[{\"method\":\"publish\"}]}"), 400,
                "invalid_field", "commands[0].params must be an object");
        String big = "x".repeat(70_000);
        HttpResponse<String> tooLarge = call(port, "POST", "/api/batch",
                "{\"commands\":[{\"method\":\"publish\",\"params\":{\"room\":\"r\",\"content\":\"" + big + "\"}}]}");
        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(get(port, "/api/history?room=r").path("messages")).isEmpty();
    }

    // ---------------------------------------------------------------- description

    @Test
    void theOpenApiDocumentIsServedBehindTheKey() throws Exception {
        int port = start();
        JsonNode doc = get(port, "/api/openapi.json");
        assertThat(doc.path("openapi").asText()).startsWith("3.");
        assertThat(doc.path("paths").has("/api/subscribe")).isTrue();
        HttpResponse<String> noKey = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/api/openapi.json")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(noKey.statusCode()).isEqualTo(401);
    }
}
