package io.switchboard.server;

import static io.switchboard.server.JwtAttackTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.config.Security;
import io.switchboard.testkit.RawPeer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Who may reach users outside rooms: {@code broadcast} needs the token claim under authentication and
 * {@code security.clientBroadcast} without; {@code security.privateMessages} limits whom a private message
 * may reach. Real clients over real sockets; every refusal names the claim or key and keeps the connection.
 */
class PublishRightsTest {

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

    private static RawPeer anonymous(int port, String id) {
        RawPeer p = RawPeer.connect(port, "/ws?id=" + id);
        assertThat(json(p.nextText()).path("type").asText()).isEqualTo("welcome");
        return p;
    }

    private static SwitchboardServer withoutAuth(Security.Builder security) {
        return SwitchboardServer.start(TestServers.config().toBuilder().security(security.build()).build());
    }

    private static Security.Builder openLimits() {
        return TestServers.noAbuseLimits().toBuilder();
    }

    private static void join(RawPeer p, String room) {
        p.sendText("{\"type\":\"join_room\",\"room\":\"" + room + "\"}");
        assertThat(next(p, "room_joined").path("room").asText()).isEqualTo(room);
    }

    private static void assertForbidden(JsonNode reply, int id, String text) {
        assertThat(reply.path("type").asText()).isEqualTo("error");
        assertThat(reply.path("code").asText()).isEqualTo("forbidden");
        assertThat(reply.path("error").asText()).isEqualTo(text);
        assertThat(reply.path("id").asInt()).isEqualTo(id);
    }

    /** The reported defect: a read-only token's broadcast reached everyone when the server allowed client broadcasts. */
    @Test
    void withAuthenticationOnlyATokenWithTheBroadcastClaimBroadcastsWhateverClientBroadcastSays() {
        SecureServers config = SecureServers.hs256();
        config.security.clientBroadcast(true).broadcastPerSecond(100);
        try (SwitchboardServer server = config.start();
             RawPeer reader = JwtAttackTest.connect(server.port(), Jwts.hs256(Jwts.claims("reader", 60)
                     .claim("rooms", List.of("dash")).claim("publish", List.of()).build()));
             RawPeer writer = JwtAttackTest.connect(server.port(), Jwts.hs256(Jwts.claims("writer", 60).build()));
             RawPeer announcer = JwtAttackTest.connect(server.port(), Jwts.hs256(Jwts.claims("announcer", 60)
                     .claim("broadcast", true).build()))) {
            String refused = "not allowed to broadcast: the token needs the claim \"broadcast\": true";
            assertForbidden(reply(reader, "{\"type\":\"broadcast\",\"content\":\"spam\",\"id\":1}"), 1, refused);
            assertForbidden(reply(writer, "{\"type\":\"broadcast\",\"content\":\"spam\",\"id\":2}"), 2, refused);

            assertThat(reply(announcer, "{\"type\":\"broadcast\",\"content\":\"news\",\"id\":3}").path("type")
                    .asText()).isEqualTo("ack");
            for (RawPeer p : List.of(reader, writer)) {
                JsonNode got = json(p.nextText());
                assertThat(got.path("type").asText()).as("nothing from the refused senders came first")
                        .isEqualTo("broadcast");
                assertThat(got.path("from").asText()).isEqualTo("announcer");
            }
        }
    }

    @Test
    void withoutAuthenticationClientBroadcastFalseRefusesBroadcastNamingTheKey() {
        try (SwitchboardServer server = withoutAuth(openLimits().clientBroadcast(false));
             RawPeer alice = anonymous(server.port(), "alice");
             RawPeer bob = anonymous(server.port(), "bob")) {
            assertForbidden(reply(alice, "{\"type\":\"broadcast\",\"content\":\"spam\",\"id\":7}"), 7,
                    "not allowed to broadcast: security.clientBroadcast is false");
            assertThat(reply(alice, "{\"type\":\"ping\"}").path("type").asText()).isEqualTo("pong");
            assertThat(reply(bob, "{\"type\":\"ping\"}").path("type").asText())
                    .as("bob received nothing before his own pong").isEqualTo("pong");
        }
    }

    @Test
    void withoutAuthenticationClientBroadcastTrueReachesEveryoneElse() {
        try (SwitchboardServer server = withoutAuth(openLimits().clientBroadcast(true));
             RawPeer alice = anonymous(server.port(), "alice");
             RawPeer bob = anonymous(server.port(), "bob")) {
            assertThat(reply(alice, "{\"type\":\"broadcast\",\"content\":\"hi\",\"id\":1}").path("type").asText())
                    .isEqualTo("ack");
            JsonNode got = next(bob, "broadcast");
            assertThat(got.path("from").asText()).isEqualTo("alice");
            assertThat(got.path("content").asText()).isEqualTo("hi");
        }
    }

    @Test
    void theDefaultsRefuseAnonymousBroadcastAndAllowPrivateMessagesToAnyone() {
        Security defaults = Security.defaults();
        assertThat(defaults.clientBroadcast()).isFalse();
        assertThat(defaults.privateMessages()).isEqualTo("all");
        try (SwitchboardServer server = withoutAuth(openLimits().clientBroadcast(defaults.clientBroadcast())
                .privateMessages(defaults.privateMessages()));
             RawPeer alice = anonymous(server.port(), "alice");
             RawPeer bob = anonymous(server.port(), "bob")) {
            assertThat(reply(alice, "{\"type\":\"broadcast\",\"content\":\"x\",\"id\":1}").path("code").asText())
                    .isEqualTo("forbidden");
            assertThat(reply(alice, "{\"type\":\"private_message\",\"to\":\"bob\",\"content\":\"psst\",\"id\":2}")
                    .path("type").asText()).isEqualTo("ack");
            assertThat(next(bob, "private_message").path("content").asText()).isEqualTo("psst");
        }
    }

    @Test
    void privateMessagesOffRefusesEveryClientPrivateMessageEvenWithThePrivateClaim() {
        SecureServers config = SecureServers.hs256();
        config.security.privateMessages("off");
        try (SwitchboardServer server = config.start();
             RawPeer alice = JwtAttackTest.connect(server.port(), Jwts.hs256(Jwts.claims("alice", 60)
                     .claim("private", true).build()));
             RawPeer bob = JwtAttackTest.connect(server.port(), Jwts.hs256(Jwts.claims("bob", 60).build()))) {
            assertForbidden(reply(alice, "{\"type\":\"private_message\",\"to\":\"bob\",\"content\":\"x\",\"id\":4}"),
                    4, "private messages are off on this server (security.privateMessages: off)");
            assertThat(reply(bob, "{\"type\":\"ping\"}").path("type").asText()).isEqualTo("pong");
        }
    }

    @Test
    void withAuthenticationAReadOnlyTokenSendsNoPrivateMessageAndTheReplySaysWhy() {
        try (SwitchboardServer server = SecureServers.hs256().start();
             RawPeer reader = JwtAttackTest.connect(server.port(), Jwts.hs256(Jwts.claims("reader", 60)
                     .claim("publish", List.of()).build()));
             RawPeer bob = JwtAttackTest.connect(server.port(), Jwts.hs256(Jwts.claims("bob", 60).build()))) {
            assertForbidden(reply(reader, "{\"type\":\"private_message\",\"to\":\"bob\",\"content\":\"x\",\"id\":1}"),
                    1, "not allowed to send private messages: the token has the claim \"private\": false"
                            + " or may publish to no room");
            assertThat(reply(bob, "{\"type\":\"ping\"}").path("type").asText())
                    .as("bob received nothing before his own pong").isEqualTo("pong");
        }
    }

    @Test
    void sharedRoomDeliversOnlyToUsersInARoomOfTheSendingConnection() {
        try (SwitchboardServer server = withoutAuth(openLimits().privateMessages("sharedRoom"));
             RawPeer alice = anonymous(server.port(), "alice");
             RawPeer bob = anonymous(server.port(), "bob")) {
            String stranger = "user bob shares no room with this connection (security.privateMessages: sharedRoom)";
            assertForbidden(reply(alice, "{\"type\":\"private_message\",\"to\":\"bob\",\"content\":\"x\",\"id\":1}"),
                    1, stranger);
            join(alice, "a");
            join(bob, "b");
            assertForbidden(reply(alice, "{\"type\":\"private_message\",\"to\":\"bob\",\"content\":\"x\",\"id\":2}"),
                    2, stranger);
            assertForbidden(reply(alice, "{\"type\":\"private_message\",\"to\":\"nobody\",\"id\":3}"), 3,
                    "user nobody shares no room with this connection (security.privateMessages: sharedRoom)");

            join(bob, "a");
            assertThat(next(alice, "user_joined_room").path("userId").asText()).isEqualTo("bob");
            assertThat(reply(alice, "{\"type\":\"private_message\",\"to\":\"bob\",\"content\":\"hi\",\"id\":4}")
                    .path("type").asText()).isEqualTo("ack");
            JsonNode got = next(bob, "private_message");
            assertThat(got.path("from").asText()).isEqualTo("alice");
            assertThat(got.path("content").asText()).as("the refused ones never arrived").isEqualTo("hi");

            bob.sendText("{\"type\":\"leave_room\",\"room\":\"a\"}");
            assertThat(next(bob, "room_left").path("room").asText()).isEqualTo("a");
            assertThat(next(alice, "user_left_room").path("userId").asText()).isEqualTo("bob");
            assertForbidden(reply(alice, "{\"type\":\"private_message\",\"to\":\"bob\",\"content\":\"x\",\"id\":5}"),
                    5, stranger);
        }
    }
}
