package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code idempotencyKey} on {@code room_message} and {@code POST /api/publish}: a repeat within
 * {@code history.idempotencyWindow} is acked with the first offset and neither stored nor delivered again.
 */
class IdempotentPublishTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
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

    private static void join(WsClient c, String room) {
        c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\"}");
        c.nextOfType("room_joined");
    }

    private static HttpResponse<String> api(String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/publish"))
                .header("Authorization", "Bearer " + TestServers.API_KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aRetriedRoomMessageIsAckedWithTheFirstOffsetAndDeliveredOnce() {
        try (WsClient alice = WsClient.welcomed(port, "alice"); WsClient bob = WsClient.welcomed(port, "bob")) {
            join(alice, "once");
            join(bob, "once");
            alice.nextOfType("user_joined_room");
            for (int attempt = 1; attempt <= 3; attempt++) {
                alice.send("{\"type\":\"room_message\",\"room\":\"once\",\"content\":\"pay\",\"idempotencyKey\":\"k-1\","
                        + "\"id\":" + attempt + "}");
                JsonNode ack = alice.next("ack");
                assertThat(ack.path("id").asInt()).isEqualTo(attempt);
                assertThat(ack.path("offset").asLong()).isEqualTo(1);
            }
            alice.send("{\"type\":\"room_message\",\"room\":\"once\",\"content\":\"next\",\"idempotencyKey\":\"k-2\","
                    + "\"id\":9}");
            assertThat(alice.next("ack").path("offset").asLong()).isEqualTo(2);
            assertThat(bob.next("room_message").path("content").asText()).isEqualTo("pay");
            assertThat(bob.next("room_message").path("content").asText()).as("the repeats were not delivered")
                    .isEqualTo("next");
            bob.send("{\"type\":\"history\",\"room\":\"once\"}");
            assertThat(bob.next("history").path("messages")).as("nor stored").hasSize(2);
        }
    }

    @Test
    void aRetriedApiPublishGetsTheFirstOffsetAndIsDeliveredOnce() throws Exception {
        try (WsClient alice = WsClient.welcomed(port, "alice")) {
            join(alice, "api-once");
            String body = "{\"room\":\"api-once\",\"content\":\"tick\",\"idempotencyKey\":\"order-17\"}";
            HttpResponse<String> first = api(body);
            HttpResponse<String> second = api(body);
            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(first.body()).isEqualTo("{\"offset\":1}");
            assertThat(second.body()).isEqualTo("{\"offset\":1}");
            assertThat(api("{\"room\":\"api-once\",\"content\":\"tock\"}").body()).isEqualTo("{\"offset\":2}");
            assertThat(alice.next("room_message").path("content").asText()).isEqualTo("tick");
            assertThat(alice.next("room_message").path("content").asText()).isEqualTo("tock");
        }
    }

    @Test
    void aKeyLongerThan64CharactersIsRefused() throws Exception {
        String key = "k".repeat(65);
        try (WsClient alice = WsClient.welcomed(port, "alice")) {
            join(alice, "long");
            alice.send("{\"type\":\"room_message\",\"room\":\"long\",\"content\":\"x\",\"idempotencyKey\":\"" + key
                    + "\",\"id\":1}");
            JsonNode error = alice.next("error");
            assertThat(error.path("code").asText()).isEqualTo("invalid_field");
            assertThat(error.path("error").asText())
                    .isEqualTo("idempotencyKey must be a non-empty string of at most 64 characters");
        }
        HttpResponse<String> refused = api("{\"room\":\"long\",\"content\":\"x\",\"idempotencyKey\":\"" + key + "\"}");
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("idempotencyKey must be a non-empty string of at most 64 characters");
    }
}
