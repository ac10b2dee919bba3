package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.config.Security;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.testkit.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** HTTP streaming against the real server: one long response out, commands POSTed with the session id. */
class HttpStreamingTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private SwitchboardServer server;
    private int port;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private void start(SwitchboardConfig config) {
        server = SwitchboardServer.start(config);
        port = server.port();
    }

    private HttpResponse<String> post(String session, String body) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/stream/send?session=" + session))
                    .timeout(Duration.ofSeconds(5)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Opens a stream, reads its session id and welcome. */
    private static String opened(SseClient stream) {
        assertThat(stream.status).isEqualTo(200);
        JsonNode session = stream.next("session").json();
        assertThat(session.path("send").asText()).isEqualTo("/stream/send");
        assertThat(stream.next("welcome").json().path("userId").asText()).isNotEmpty();
        return session.path("session").asText();
    }

    @Test
    void commandsPostedWithTheSessionIdAreAnsweredOnTheStreamLikeOnAWebSocket() {
        start(TestServers.config());
        try (SseClient stream = SseClient.open(port, "/stream?id=sam", Map.of());
             WsClient member = WsClient.welcomed(port, "wes")) {
            String session = opened(stream);
            assertThat(session).matches("[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_.-]{1,32}").endsWith("." + server.hub().nodeId());
            member.send("{\"type\":\"join_room\",\"room\":\"lobby\"}");
            member.next("room_joined");

            assertThat(post(session, "{\"type\":\"join_room\",\"id\":\"j1\",\"room\":\"lobby\"}").statusCode())
                    .isEqualTo(202);
            JsonNode joined = stream.next("room_joined").json();
            assertThat(joined.path("id").asText()).isEqualTo("j1");
            assertThat(joined.path("members").findValuesAsText("userId")).contains("wes", "sam");

            assertThat(post(session, "{\"type\":\"room_message\",\"id\":2,\"room\":\"lobby\",\"content\":\"hi\"}")
                    .statusCode()).isEqualTo(202);
            assertThat(stream.next("ack").json().path("offset").asLong()).isEqualTo(1);
            JsonNode got = member.nextOfType("room_message");
            assertThat(got.path("from").asText()).isEqualTo("sam");
            assertThat(got.path("content").asText()).isEqualTo("hi");

            member.send("{\"type\":\"room_message\",\"room\":\"lobby\",\"content\":\"back\"}");
            assertThat(stream.nextOfType("room_message").json().path("content").asText()).isEqualTo("back");

            // Same protocol, same errors.
            post(session, "{\"type\":\"join-room\",\"id\":3,\"room\":\"x\"}");
            assertThat(stream.next("error").json().path("error").asText())
                    .isEqualTo("unknown command type: join-room (did you mean join_room?)");
        }
    }

    @Test
    void aSessionThatEndedOrNeverWasIs404AndAnOversizedCommand413() {
        start(TestServers.config());
        String session;
        try (SseClient stream = SseClient.open(port, "/stream?id=sam", Map.of())) {
            session = opened(stream);
            String big = "{\"type\":\"echo\",\"content\":\"" + "x".repeat(70 * 1024) + "\"}";
            HttpResponse<String> tooLarge = post(session, big);
            assertThat(tooLarge.statusCode()).isEqualTo(413);
            assertThat(tooLarge.body()).startsWith("command of ").endsWith("exceeds websocket.maxMessageBytes (65536)\n");
        }
        Await.until("the stream is gone", () -> server.hub().connectionCount() == 0);
        HttpResponse<String> gone = post(session, "{\"type\":\"ping\"}");
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(gone.body()).isEqualTo("no such session: it ended, open a new stream (GET /stream)\n");
        assertThat(post("guessed-0000000000000000", "{\"type\":\"ping\"}").statusCode()).isEqualTo(404);
    }

    @Test
    void theWebSocketRateLimitHoldsForPostedCommands() {
        SwitchboardConfig c = TestServers.config();
        start(c.toBuilder().security(Security.builder().rateLimitRps(1).rateLimitBurst(2).maxRateLimitViolations(3)
                .maxHandshakesPerIpPerSecond(0).build()).build());
        try (SseClient stream = SseClient.open(port, "/stream?id=sam", Map.of())) {
            String session = opened(stream);
            for (int i = 0; i < 2; i++) {
                post(session, "{\"type\":\"ping\"}");
                stream.next("pong");
            }
            post(session, "{\"type\":\"ping\"}");
            assertThat(stream.next("error").json().path("code").asText()).isEqualTo("rate_limited");
            post(session, "{\"type\":\"ping\"}");
            stream.next("error");
            post(session, "{\"type\":\"ping\"}");
            JsonNode close = stream.next("close").json();
            assertThat(close.path("code").asInt()).isEqualTo(4029);
            assertThat(stream.endsWithin(5000)).isTrue();
        }
    }

    @Test
    void aReconnectedSessionRecoversWithSinceAsOnAWebSocket() {
        start(TestServers.config());
        long offset;
        String epoch;
        try (WsClient pub = WsClient.welcomed(port, "pub")) {
            pub.send("{\"type\":\"join_room\",\"room\":\"r\"}");
            pub.next("room_joined");
            try (SseClient stream = SseClient.open(port, "/stream?id=sam", Map.of())) {
                String session = opened(stream);
                post(session, "{\"type\":\"join_room\",\"room\":\"r\"}");
                JsonNode joined = stream.next("room_joined").json();
                offset = joined.path("offset").asLong();
                epoch = joined.path("epoch").asText();
            }
            for (String m : new String[] {"m1", "m2"}) {
                pub.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"" + m + "\"}");
            }
            Await.until("published", () -> server.hub().localMembers("r").size() == 1);
            pub.send("{\"type\":\"ping\",\"id\":9}");
            pub.nextOfType("pong");
            try (SseClient stream = SseClient.open(port, "/stream?id=sam", Map.of())) {
                String session = opened(stream);
                post(session, "{\"type\":\"join_room\",\"room\":\"r\",\"since\":{\"offset\":" + offset + ",\"epoch\":\""
                        + epoch + "\"}}");
                assertThat(stream.next("room_message").json().path("content").asText()).isEqualTo("m1");
                assertThat(stream.next("room_message").json().path("content").asText()).isEqualTo("m2");
                assertThat(stream.next("room_joined").json().path("recovered").asBoolean()).isTrue();
            }
        }
    }
}
