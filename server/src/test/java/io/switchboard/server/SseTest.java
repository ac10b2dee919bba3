package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Server-Sent Events against the real server, read over a plain socket. */
class SseTest {
    private SwitchboardServer server;
    private int port;

    private void start(SwitchboardConfig config) {
        server = SwitchboardServer.start(config);
        port = server.port();
    }

    private void start() {
        start(TestServers.config());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static WsClient publisherIn(int port, String... rooms) {
        WsClient c = WsClient.welcomed(port, "pub");
        for (String room : rooms) {
            c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\"}");
            c.next("room_joined");
        }
        return c;
    }

    private static long publish(WsClient c, String room, String content) {
        c.send("{\"type\":\"room_message\",\"id\":1,\"room\":\"" + room + "\",\"content\":\"" + content + "\"}");
        return c.nextOfType("ack").path("offset").asLong();
    }

    @Test
    void eachDeliveryIsOneEventNamedByItsTypeWithTheWebSocketJsonAsData() {
        start();
        try (SseClient sse = SseClient.open(port, "/sse?rooms=a,b&id=sam", Map.of());
             WsClient pub = publisherIn(port, "a", "b");
             WsClient member = publisherIn(port, "a")) {
            assertThat(sse.status).isEqualTo(200);
            assertThat(sse.headers.get("content-type")).isEqualTo("text/event-stream");
            assertThat(sse.headers.get("cache-control")).isEqualTo("no-store");
            SseClient.Event welcome = sse.next("welcome");
            assertThat(welcome.json().path("userId").asText()).isEqualTo("sam");
            JsonNode joinedA = sse.next("room_joined").json();
            assertThat(joinedA.path("room").asText()).isEqualTo("a");
            assertThat(sse.next("room_joined").json().path("room").asText()).isEqualTo("b");

            long offset = publish(pub, "a", "hello");
            SseClient.Event e = sse.nextOfType("room_message"); // after the notices of pub and member joining
            JsonNode asOnWebSocket = member.nextOfType("room_message");
            assertThat(e.json()).isEqualTo(asOnWebSocket);
            assertThat(e.json().path("offset").asLong()).isEqualTo(offset);
            // The id holds the position in every room: a's offset and epoch, then b's (nothing published yet).
            assertThat(e.id()).matches("[0-9a-z]+:" + offset + "\\." + joinedA.path("epoch").asText() + ",0\\.[0-9a-z]+");
        }
    }

    /** Corked events of every size, a 30 KB one past the largest cork among them, leave whole and in order. */
    @Test
    void eventsOfEverySizeArriveWholeAndInOrder() {
        start();
        try (SseClient sse = SseClient.open(port, "/sse?rooms=a&id=sam", Map.of());
             WsClient pub = publisherIn(port, "a")) {
            sse.next("welcome");
            sse.next("room_joined");
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                String content = i % 20 == 7 ? "L" + i + "x".repeat(30_000) : "s" + i + "y".repeat(i * 40);
                sent.add(content);
                pub.send("{\"type\":\"room_message\",\"room\":\"a\",\"content\":\"" + content + "\"}");
            }
            List<String> got = new ArrayList<>();
            while (got.size() < sent.size()) {
                got.add(sse.nextOfType("room_message").json().path("content").asText());
            }
            assertThat(got).isEqualTo(sent);
        }
    }

    @Test
    void lastEventIdRecoversEveryMissedMessageOfEveryRoomOnceInOrder() {
        start();
        String lastId;
        try (WsClient pub = publisherIn(port, "a", "b")) {
            try (SseClient sse = SseClient.open(port, "/sse?rooms=a,b&id=sam", Map.of())) {
                sse.next("welcome");
                sse.next("room_joined");
                sse.next("room_joined");
                publish(pub, "a", "a1");
                publish(pub, "b", "b1");
                assertThat(sse.next("room_message").json().path("content").asText()).isEqualTo("a1");
                assertThat(sse.next("room_message").json().path("content").asText()).isEqualTo("b1");
                lastId = sse.lastEventId;
            }
            Await.until("the stream is gone", () -> server.hub().connectionCount() == 1);
            for (String m : List.of("a2", "a3")) {
                publish(pub, "a", m);
            }
            publish(pub, "b", "b2");

            try (SseClient sse = SseClient.open(port, "/sse?rooms=a,b&id=sam", Map.of("Last-Event-ID", lastId))) {
                sse.next("welcome");
                List<String> seen = new ArrayList<>();
                assertThat(contents(sse, "a", seen)).isTrue();
                assertThat(contents(sse, "b", seen)).isTrue();
                assertThat(seen).containsExactly("a2", "a3", "b2");
                publish(pub, "a", "a4");
                publish(pub, "b", "b3");
                assertThat(sse.next("room_message").json().path("content").asText()).isEqualTo("a4");
                assertThat(sse.next("room_message").json().path("content").asText()).isEqualTo("b3");
            }
        }
    }

    /**
     * Reads the replay of {@code room} up to its {@code room_joined} and {@code recovered}, adding the contents to
     * {@code seen}; returns what {@code recovered} said.
     */
    private static boolean contents(SseClient sse, String room, List<String> seen) {
        while (true) {
            SseClient.Event e = sse.next();
            JsonNode json = e.json();
            if (e.event().equals("room_message")) {
                assertThat(json.path("room").asText()).isEqualTo(room);
                seen.add(json.path("content").asText());
            } else {
                assertThat(e.event()).isEqualTo("room_joined");
                assertThat(json.path("room").asText()).isEqualTo(room);
                SseClient.Event recovered = sse.next("recovered");
                assertThat(recovered.json().path("room").asText()).isEqualTo(room);
                assertThat(json.path("recovered").asBoolean()).isEqualTo(recovered.json().path("recovered").asBoolean());
                return recovered.json().path("recovered").asBoolean();
            }
        }
    }

    @Test
    void aLastEventIdOfOtherRoomsOrUnreadableGetsRecoveredFalseForEveryRoom() {
        start();
        for (String bad : List.of("nonsense", "0:1.e", "abc:1.e,2.f")) {
            try (SseClient sse = SseClient.open(port, "/sse?rooms=a,b&id=sam", Map.of("Last-Event-ID", bad))) {
                sse.next("welcome");
                for (String room : List.of("a", "b")) {
                    assertThat(sse.next("room_joined").json().path("room").asText()).isEqualTo(room);
                    JsonNode recovered = sse.next("recovered").json();
                    assertThat(recovered.path("room").asText()).isEqualTo(room);
                    assertThat(recovered.path("recovered").asBoolean()).as(bad).isFalse();
                }
            }
        }
    }

    @Test
    void heartbeatCommentsKeepAnIdleStreamOpenPastThePongTimeout() {
        start(TestServers.with(TestServers.websocket().toBuilder().pingInterval(Duration.ofMillis(200))
                .pongTimeout(Duration.ofMillis(600)).build()));
        try (SseClient sse = SseClient.open(port, "/sse?id=idle", Map.of())) {
            sse.next("welcome");
            Await.until("heartbeats", () -> {
                sse.readFor(300);
                return sse.comments >= 5;
            });
            assertThat(server.hub().connectionCount()).isEqualTo(1);
        }
    }

    @Test
    void aReaderThatFallsBehindIsCutAtTheQueueCapAndUnregistered() {
        int cap = 64 * 1024;
        start(TestServers.with(TestServers.websocket().toBuilder().maxQueuedBytes(cap).writeBufferBytes(8 * 1024)
                .writeWait(Duration.ofSeconds(30)).build()));
        try (WsClient pub = publisherIn(port, "a");
             SseClient slow = SseClient.open(port, "/sse?rooms=a&id=slow", Map.of(), 4 * 1024)) {
            Await.until("the stream joined", () -> server.hub().localMembers("a").size() == 2);
            String content = "x".repeat(1000);
            int published = 0;
            while (server.hub().localMembers("a").size() == 2 && published < 10_000) {
                publish(pub, "a", content);
                published++;
            }
            assertThat(server.hub().localMembers("a")).hasSize(1);
            // Cut, not ended: the client saw a prefix of the room, then the connection close.
            assertThat(published).isLessThan(10_000);
            int seen = 0;
            for (SseClient.Event e = slow.nextOrEnd(); e != null; e = slow.nextOrEnd()) {
                if (e.event().equals("room_message")) {
                    seen++;
                }
            }
            assertThat(seen).isLessThan(published);
        }
        Await.until("every stream is unregistered", () -> server.hub().connectionCount() == 0);
    }

    @Test
    void roomsAreCheckedBeforeTheStreamOpens() {
        start();
        try (SseClient sse = SseClient.open(port, "/sse?rooms=a,no%20spaces&id=sam", Map.of())) {
            assertThat(sse.status).isEqualTo(400);
            assertThat(sse.body).isEqualTo("invalid room in rooms: names match [A-Za-z0-9_.:@/-]{1,128}, separated by commas\n");
        }
        try (SseClient sse = SseClient.open(port, "/sse?rooms=a,a&id=sam", Map.of())) {
            assertThat(sse.status).isEqualTo(400);
            assertThat(sse.body).isEqualTo("room a is listed twice in rooms\n");
        }
        Await.until("no slot is kept", () -> server.hub().connectionCount() == 0);
    }

    @Test
    void theDoorIsTheWebSocketsOriginsCredentialsAndCorsAlike() {
        SecureServers s = SecureServers.hs256();
        s.security.allowedOrigins(List.of("http://app.example.com"));
        start(s.config());
        try (SseClient refused = SseClient.open(port, "/sse?rooms=a", Map.of("Origin", "http://evil.example.com"))) {
            assertThat(refused.status).isEqualTo(403);
            assertThat(refused.body)
                    .isEqualTo("origin http://evil.example.com is not allowed (add it to security.allowedOrigins)\n");
        }
        try (SseClient noToken = SseClient.open(port, "/sse?rooms=a", Map.of("Origin", "http://app.example.com"))) {
            assertThat(noToken.status).isEqualTo(401);
            assertThat(noToken.body).isEqualTo("invalid token: no token\n");
        }
        String token = Jwts.hs256(Jwts.claims("carol", 60).claim("rooms", List.of("a")).build());
        try (SseClient ok = SseClient.open(port, "/sse?rooms=a,b&token=" + token,
                Map.of("Origin", "http://app.example.com"))) {
            assertThat(ok.status).isEqualTo(200);
            assertThat(ok.headers.get("access-control-allow-origin")).isEqualTo("http://app.example.com");
            assertThat(ok.headers.get("access-control-allow-credentials")).isEqualTo("true");
            assertThat(ok.next("welcome").json().path("userId").asText()).isEqualTo("carol");
            assertThat(ok.next("room_joined").json().path("room").asText()).isEqualTo("a");
            // The token grants a only: b is refused as a join_room would be.
            assertThat(ok.next("error").json().path("code").asText()).isEqualTo("forbidden");
        }
    }

    @Test
    void anExpiredTokenEndsTheStreamWithACloseEvent() {
        SecureServers s = SecureServers.hs256();
        start(s.config());
        String token = Jwts.hs256(Jwts.claims("dave", 1).build());
        try (SseClient sse = SseClient.open(port, "/sse?token=" + token, Map.of("Authorization", "Bearer " + token))) {
            sse.next("welcome");
            JsonNode close = sse.next("close").json();
            assertThat(close.path("code").asInt()).isEqualTo(4001);
            assertThat(close.path("reason").asText()).isEqualTo("token expired");
            assertThat(sse.endsWithin(5000)).isTrue();
        }
    }
}
