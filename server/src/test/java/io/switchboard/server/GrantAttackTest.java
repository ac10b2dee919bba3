package io.switchboard.server;

import static io.switchboard.server.JwtAttackTest.connect;
import static io.switchboard.server.JwtAttackTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.testkit.RawPeer;
import java.util.ArrayList;
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

    private static String errorCode(RawPeer p, String command) {
        JsonNode r = reply(p, command);
        return r.path("type").asText().equals("error") ? r.path("code").asText() : r.path("type").asText();
    }

    /**
     * A token with {@code rooms:[]} and {@code publish:[]} got an ack for {@code broadcast} and for a private
     * message to anyone. Now: no broadcast without the {@code broadcast} claim, no private message for a token that may publish nowhere; the
     * refusals keep the connection and nothing reaches the others.
     */
    @Test
    void broadcastAndPrivateMessagesNeedGrants() {
        try (SwitchboardServer server = SecureServers.hs256().start();
             RawPeer bob = connect(server.port(), token("bob", List.of("*")));
             RawPeer nobody = connect(server.port(), Jwts.hs256(Jwts.claims("nobody", 60)
                     .claim("rooms", List.of()).claim("publish", List.of()).build()));
             RawPeer writer = connect(server.port(), Jwts.hs256(Jwts.claims("writer", 60)
                     .claim("publish", List.of("chat:*")).build()));
             RawPeer announcer = connect(server.port(), Jwts.hs256(Jwts.claims("announcer", 60)
                     .claim("broadcast", true).claim("private", false).build()))) {
            JsonNode refused = reply(nobody, "{\"type\":\"broadcast\",\"content\":\"spam\",\"id\":1}");
            assertThat(refused.path("code").asText()).isEqualTo("forbidden");
            assertThat(refused.path("error").asText()).isEqualTo("not allowed to broadcast: the token needs the claim \"broadcast\": true");
            assertThat(refused.path("id").asInt()).isEqualTo(1);
            assertThat(errorCode(nobody, "{\"type\":\"private_message\",\"to\":\"bob\",\"content\":\"x\",\"id\":2}"))
                    .isEqualTo("forbidden");
            assertThat(errorCode(nobody, "{\"type\":\"ping\"}")).isEqualTo("pong");

            assertThat(errorCode(writer, "{\"type\":\"broadcast\",\"content\":\"spam\",\"id\":3}"))
                    .isEqualTo("forbidden");
            assertThat(errorCode(writer, "{\"type\":\"private_message\",\"to\":\"bob\",\"content\":\"hi\",\"id\":4}"))
                    .isEqualTo("ack");
            assertThat(next(bob, "private_message").path("from").asText()).isEqualTo("writer");

            assertThat(errorCode(announcer, "{\"type\":\"private_message\",\"to\":\"bob\",\"id\":5}"))
                    .isEqualTo("forbidden");
            assertThat(errorCode(announcer, "{\"type\":\"broadcast\",\"content\":\"news\",\"id\":6}"))
                    .isEqualTo("ack");
            JsonNode got = json(bob.nextText());
            assertThat(got.path("type").asText()).as("bob got nothing from the refused senders").isEqualTo("broadcast");
            assertThat(got.path("from").asText()).isEqualTo("announcer");
        }
    }

    /**
     * The reported attack: one token sent 842 broadcasts of 60 KB in 10 s and disconnected all 300 readers.
     * A granted broadcaster now gets {@code message_too_large} above {@code security.broadcastMaxBytes} and
     * {@code rate_limited} above {@code security.broadcastPerSecond}, keeps its connection, and the readers
     * receive at most the burst plus the rate times the attack's duration, and stay connected.
     */
    @Test
    void aBroadcasterIsBoundedInSizeAndRate() {
        SecureServers config = SecureServers.hs256();
        try (SwitchboardServer server = config.start();
             RawPeer attacker = connect(server.port(), Jwts.hs256(Jwts.claims("attacker", 60)
                     .claim("broadcast", true).build()))) {
            List<RawPeer> readers = new ArrayList<>();
            try {
                for (int i = 0; i < 20; i++) {
                    readers.add(connect(server.port(), token("reader" + i, List.of("*"))));
                }
                String big = "x".repeat(60_000);
                long start = System.nanoTime();
                for (int i = 0; i < 20; i++) {
                    JsonNode r = reply(attacker,
                            "{\"type\":\"broadcast\",\"content\":\"" + big + "\",\"id\":" + i + "}");
                    assertThat(r.path("code").asText()).isEqualTo("message_too_large");
                }
                int acked = 0;
                int limited = 0;
                for (int i = 0; i < 60; i++) {
                    String answer = errorCode(attacker,
                            "{\"type\":\"broadcast\",\"content\":\"b" + i + "\",\"id\":" + i + "}");
                    if (answer.equals("ack")) {
                        acked++;
                    } else {
                        assertThat(answer).isEqualTo("rate_limited");
                        limited++;
                    }
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                long bound = config.security().broadcastPerSecond()
                        + (long) Math.ceil(config.security().broadcastPerSecond() * seconds);
                assertThat(acked).as("acked broadcasts in %.1f s", seconds).isBetween(1, (int) bound);
                assertThat(limited).isEqualTo(60 - acked);
                assertThat(errorCode(attacker, "{\"type\":\"ping\"}")).isEqualTo("pong");
                // Each reader is still connected, and its pong comes after every broadcast queued to it.
                for (RawPeer reader : readers) {
                    int received = 0;
                    reader.sendText("{\"type\":\"ping\",\"id\":\"end\"}");
                    for (JsonNode m = json(reader.nextText()); !m.path("id").asText().equals("end");
                         m = json(reader.nextText())) {
                        received += m.path("type").asText().equals("broadcast") ? 1 : 0;
                    }
                    assertThat(received).isLessThanOrEqualTo(acked);
                }
            } finally {
                readers.forEach(RawPeer::close);
            }
        }
    }
}
