package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.config.Namespace;
import io.switchboard.testkit.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each namespace option as real clients see it over real sockets; rooms outside a configured namespace keep the
 * defaults. One server with one namespace per option under test.
 */
class NamespacePolicyTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static SwitchboardServer server;
    private static int port;

    private static Namespace only(Integer historySize, Duration historyTtl, String presence, Boolean joinLeave,
                                  Boolean clientPublish, Integer maxMembers) {
        return new Namespace(historySize, historyTtl, presence, joinLeave, clientPublish, maxMembers, null);
    }

    @BeforeAll
    static void start() {
        server = SwitchboardServer.start(TestServers.config().toBuilder().namespaces(Map.of(
                "nohist", only(0, null, null, null, null, null),
                "brief", only(null, Duration.ofMillis(300), null, null, null, null),
                "counts", only(null, null, "counts", null, null, null),
                "dark", only(null, null, "off", null, null, null),
                "quiet", only(null, null, null, false, null, null),
                "feed", only(null, null, null, null, false, null),
                "small", only(null, null, null, null, null, 2))).build());
        port = server.port();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static JsonNode join(WsClient c, String room) {
        c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\",\"id\":\"j\"}");
        return c.nextOfType("room_joined");
    }

    private static long publish(WsClient c, String room, String content) {
        c.send("{\"type\":\"room_message\",\"room\":\"" + room + "\",\"content\":\"" + content + "\",\"id\":\"p\"}");
        return c.nextOfType("ack").path("offset").asLong();
    }

    private static JsonNode history(WsClient c, String room) {
        c.send("{\"type\":\"history\",\"room\":\"" + room + "\"}");
        return c.nextOfType("history").path("messages");
    }

    @Test
    void historySizeZeroKeepsNothingAndARecoveringJoinIsToldWhy() {
        try (WsClient alice = WsClient.welcomed(port, "alice"); WsClient bob = WsClient.welcomed(port, "bob")) {
            String epoch = join(alice, "nohist:a").path("epoch").asText();
            assertThat(publish(alice, "nohist:a", "one")).isEqualTo(1);
            assertThat(publish(alice, "nohist:a", "two")).as("offsets go on without history").isEqualTo(2);
            assertThat(history(alice, "nohist:a")).isEmpty();

            bob.send("{\"type\":\"join_room\",\"room\":\"nohist:a\",\"since\":{\"offset\":1,\"epoch\":\"" + epoch
                    + "\"}}");
            JsonNode joined = bob.next("room_joined");
            assertThat(joined.path("recovered").asBoolean()).isFalse();
            assertThat(joined.path("reason").asText()).isEqualTo("no_history");
            assertThat(joined.path("offset").asLong()).isEqualTo(2);

            String defaultEpoch = join(alice, "plain").path("epoch").asText();
            publish(alice, "plain", "one");
            publish(alice, "plain", "two");
            bob.send("{\"type\":\"join_room\",\"room\":\"plain\",\"since\":{\"offset\":1,\"epoch\":\"" + defaultEpoch
                    + "\"}}");
            assertThat(bob.next("room_message").path("content").asText()).isEqualTo("two");
            JsonNode recovered = bob.next("room_joined");
            assertThat(recovered.path("recovered").asBoolean()).isTrue();
            assertThat(recovered.has("reason")).isFalse();

            bob.send("{\"type\":\"join_room\",\"room\":\"plain:b\",\"since\":{\"offset\":3,\"epoch\":\"gone\"}}");
            JsonNode lost = bob.next("room_joined");
            assertThat(lost.path("recovered").asBoolean()).isFalse();
            assertThat(lost.path("reason").asText()).isEqualTo("not_retained");
        }
    }

    @Test
    void historyTtlDropsMessagesOfItsNamespaceOnly() {
        try (WsClient alice = WsClient.welcomed(port, "alice")) {
            join(alice, "brief:a");
            join(alice, "other:a");
            publish(alice, "brief:a", "soon gone");
            publish(alice, "other:a", "kept");
            assertThat(history(alice, "brief:a")).hasSize(1);
            Await.until("brief:a's message expired", Duration.ofSeconds(5), () -> history(alice, "brief:a").isEmpty());
            assertThat(history(alice, "other:a")).hasSize(1);
        }
    }

    @Test
    void presenceCountsSendsCountsAndNeverMemberLists() {
        try (WsClient alice = WsClient.welcomed(port, "alice"); WsClient bob = WsClient.welcomed(port, "bob")) {
            join(alice, "counts:a");
            JsonNode joined = join(bob, "counts:a");
            assertThat(joined.path("count").asInt()).isEqualTo(2);
            assertThat(joined.has("members")).isFalse();

            bob.send("{\"type\":\"presence\",\"room\":\"counts:a\",\"id\":1}");
            JsonNode presence = bob.nextOfType("presence");
            assertThat(presence.path("count").asInt()).isEqualTo(2);
            assertThat(presence.has("members")).isFalse();

            JsonNode full = join(bob, "chat:a");
            assertThat(full.path("count").asInt()).isEqualTo(1);
            assertThat(full.path("members")).hasSize(1);
        }
    }

    @Test
    void presenceOffAnswersPresenceDisabledAndRoomJoinedCarriesNoOneAndNoCount() {
        try (WsClient alice = WsClient.welcomed(port, "alice")) {
            JsonNode joined = join(alice, "dark:a");
            assertThat(joined.has("count")).isFalse();
            assertThat(joined.has("members")).isFalse();
            assertThat(joined.path("offset").asLong()).isZero();

            alice.send("{\"type\":\"presence\",\"room\":\"dark:a\",\"id\":2}");
            JsonNode error = alice.nextOfType("error");
            assertThat(error.path("code").asText()).isEqualTo("presence_disabled");
            assertThat(error.path("error").asText()).isEqualTo("presence is off in room dark:a (namespaces.dark.presence: off)");
            assertThat(error.path("id").asInt()).isEqualTo(2);
        }
    }

    @Test
    void joinLeaveFalseSendsNoJoinOrLeaveNotices() {
        try (WsClient alice = WsClient.welcomed(port, "alice"); WsClient bob = WsClient.welcomed(port, "bob")) {
            join(alice, "quiet:a");
            join(bob, "quiet:a");
            bob.send("{\"type\":\"leave_room\",\"room\":\"quiet:a\"}");
            bob.next("room_left");
            WsClient carol = WsClient.welcomed(port, "carol");
            join(carol, "quiet:a");
            publish(carol, "quiet:a", "after");
            JsonNode first = alice.next();
            assertThat(first.path("type").asText()).as("no notice came before the message").isEqualTo("room_message");
            assertThat(first.path("content").asText()).isEqualTo("after");
            carol.close();

            join(alice, "loud:a");
            join(bob, "loud:a");
            assertThat(alice.next("user_joined_room").path("userId").asText()).isEqualTo("bob");
        }
    }

    @Test
    void clientPublishFalseRefusesMembersButTheApiPublishes() throws Exception {
        try (WsClient alice = WsClient.welcomed(port, "alice")) {
            join(alice, "feed:a");
            alice.send("{\"type\":\"room_message\",\"room\":\"feed:a\",\"content\":\"x\",\"id\":3}");
            JsonNode error = alice.next("error");
            assertThat(error.path("code").asText()).isEqualTo("forbidden");
            assertThat(error.path("error").asText())
                    .isEqualTo("room feed:a takes messages from the backend only (namespaces.feed.clientPublish: false)");

            HttpResponse<String> res = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                            + "/api/publish")).header("Authorization", "Bearer " + TestServers.API_KEY)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"room\":\"feed:a\",\"content\":\"tick\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
            JsonNode m = alice.next("room_message");
            assertThat(m.path("content").asText()).as("the refused message was never delivered").isEqualTo("tick");
            assertThat(m.path("offset").asLong()).isEqualTo(1);
        }
    }

    @Test
    void maxMembersRefusesTheJoinBeyondItWithRoomFull() {
        try (WsClient a = WsClient.welcomed(port, "a"); WsClient b = WsClient.welcomed(port, "b");
             WsClient c = WsClient.welcomed(port, "c")) {
            join(a, "small:a");
            join(b, "small:a");
            c.send("{\"type\":\"join_room\",\"room\":\"small:a\",\"id\":9}");
            JsonNode error = c.next("error");
            assertThat(error.path("code").asText()).isEqualTo("room_full");
            assertThat(error.path("error").asText()).isEqualTo("room small:a is full");
            assertThat(join(c, "big:a").path("count").asInt()).as("other namespaces keep the default").isEqualTo(1);
        }
    }
}
