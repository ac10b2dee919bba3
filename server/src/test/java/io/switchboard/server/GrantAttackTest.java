package io.switchboard.server;

import static io.switchboard.server.JwtAttackTest.connect;
import static io.switchboard.server.JwtAttackTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Grants enforced on what a connection already holds and on every way to reach other users. */
class GrantAttackTest {

    private static JsonNode reply(RawPeer p, String command) {
        p.sendText(command);
        return json(p.nextText());
    }

    /** The next text message of {@code type}, skipping presence notices and the like. */
    private static JsonNode next(RawPeer p, String type) {
        for (int i = 0; i < 20; i++) {
            JsonNode m = json(p.nextText());
            if (m.path("type").asText().equals(type)) {
                return m;
            }
        }
        throw new AssertionError("no " + type);
    }

    private static String token(String user, List<String> rooms) {
        return Jwts.hs256(Jwts.claims(user, 60).claim("rooms", rooms).build());
    }

    /**
     * Joined room a, then refreshed with a token granting only b: the connection must leave a (members see
     * the leave, the client gets {@code room_left} with reason {@code grant_revoked}) and a's messages
     * must stop arriving, not only later reads of a be refused.
     */
    @Test
    void aRefreshThatDropsARoomLeavesItAndItsMessagesStopArriving() {
        try (SwitchboardServer server = SecureServers.hs256().start();
             RawPeer bob = connect(server.port(), token("bob", List.of("*")));
             RawPeer alice = connect(server.port(), token("alice", List.of("a", "b")))) {
            for (RawPeer p : List.of(bob, alice)) {
                for (String room : List.of("a", "b")) {
                    p.sendText("{\"type\":\"join_room\",\"room\":\"" + room + "\"}");
                    assertThat(next(p, "room_joined").path("room").asText()).isEqualTo(room);
                }
            }

            alice.sendText("{\"type\":\"refresh\",\"id\":5,\"token\":\"" + token("alice", List.of("b")) + "\"}");
            JsonNode left = next(alice, "room_left");
            assertThat(left.path("room").asText()).isEqualTo("a");
            assertThat(left.path("reason").asText()).isEqualTo("grant_revoked");
            assertThat(left.has("id")).isFalse();
            assertThat(next(alice, "refreshed").path("id").asInt()).isEqualTo(5);
            JsonNode seen = next(bob, "user_left_room");
            assertThat(seen.path("room").asText()).isEqualTo("a");
            assertThat(seen.path("userId").asText()).isEqualTo("alice");

            assertThat(reply(bob, "{\"type\":\"room_message\",\"room\":\"a\",\"content\":\"secret\",\"id\":1}")
                    .path("type").asText()).isEqualTo("ack");
            assertThat(reply(bob, "{\"type\":\"room_message\",\"room\":\"b\",\"content\":\"open\",\"id\":2}")
                    .path("type").asText()).isEqualTo("ack");
            JsonNode delivered = next(alice, "room_message");
            assertThat(delivered.path("room").asText()).as("room a's message reached a revoked member")
                    .isEqualTo("b");
            assertThat(delivered.path("content").asText()).isEqualTo("open");
            assertThat(reply(alice, "{\"type\":\"join_room\",\"room\":\"a\"}").path("code").asText())
                    .isEqualTo("forbidden");
        }
    }
}
