package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.config.Hub;
import io.switchboard.core.config.WebSocket;
import io.switchboard.server.config.SwitchboardConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every command of PROTOCOL.md section 3 and its replies, over a real socket. */
class ProtocolTest {
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

    /** Replaces the default server with one running {@code config}. */
    private void restart(SwitchboardConfig config) {
        server.close();
        server = SwitchboardServer.start(config);
        port = server.port();
    }

    /** Joins {@code room} and returns the {@code room_joined} reply. */
    private static JsonNode join(WsClient c, String room) {
        c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\"}");
        return c.next("room_joined");
    }

    private static void assertError(JsonNode e, String code, String text) {
        assertThat(e.path("type").asText()).as("type of %s", e).isEqualTo("error");
        assertThat(e.path("code").asText()).isEqualTo(code);
        assertThat(e.path("error").asText()).isEqualTo(text);
    }

    @Test
    void welcomeIsTheFirstFrameAndNamesConnectionUserAndLimits() {
        try (WsClient c = WsClient.connect(port, "alice")) {
            JsonNode w = c.next("welcome");
            assertThat(w.path("userId").asText()).isEqualTo("alice");
            assertThat(w.path("connId").asText()).startsWith("c-t1-");
            assertThat(w.path("content").asText()).isEqualTo("Connected to WebSocket server");
            assertThat(w.path("server").path("node").asText()).isEqualTo("t1");
            assertThat(w.path("server").path("pingIntervalMs").asLong()).isEqualTo(25000);
            assertThat(w.path("server").path("maxMessageBytes").asLong()).isEqualTo(65536);
        }
    }

    @Test
    void anonymousConnectionsGetAGeneratedUserId() {
        try (WsClient c = WsClient.connect(port, null)) {
            assertThat(c.next("welcome").path("userId").asText()).matches("anon-[a-z0-9]+");
        }
    }

    @Test
    void pingIsAnsweredWithPongCarryingTheId() {
        try (WsClient c = WsClient.welcomed(port, "alice")) {
            c.send("{\"type\":\"ping\",\"id\":17}");
            JsonNode pong = c.next("pong");
            assertThat(pong.path("id").asInt()).isEqualTo(17);
        }
    }

    @Test
    void joinListsMembersAndTellsTheOthers() {
        try (WsClient a = WsClient.welcomed(port, "alice"); WsClient b = WsClient.welcomed(port, "bob")) {
            a.send("{\"type\":\"join_room\",\"room\":\"lobby\",\"id\":\"j1\"}");
            JsonNode joined = a.next("room_joined");
            assertThat(joined.path("id").asText()).isEqualTo("j1");
            assertThat(joined.path("members")).hasSize(1);
            assertThat(joined.path("offset").asLong()).isZero();
            assertThat(joined.has("recovered")).isFalse();

            b.send("{\"type\":\"join\",\"room_id\":\"lobby\"}");
            assertThat(b.next("room_joined").path("members")).hasSize(2);
            JsonNode notice = a.next("user_joined_room");
            assertThat(notice.path("userId").asText()).isEqualTo("bob");
            assertThat(notice.path("room").asText()).isEqualTo("lobby");
        }
    }

    @Test
    void roomMessagesReachTheOtherMembersWithOffsetsAndAckTheSender() {
        try (WsClient a = WsClient.welcomed(port, "alice"); WsClient b = WsClient.welcomed(port, "bob")) {
            a.send("{\"type\":\"join_room\",\"room\":\"r\"}");
            a.next("room_joined");
            b.send("{\"type\":\"join_room\",\"room\":\"r\"}");
            b.next("room_joined");
            a.next("user_joined_room");

            a.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"hi\",\"id\":1}");
            JsonNode ack = a.next("ack");
            assertThat(ack.path("id").asInt()).isEqualTo(1);
            assertThat(ack.path("offset").asLong()).isEqualTo(1);
            JsonNode m = b.next("room_message");
            assertThat(m.path("content").asText()).isEqualTo("hi");
            assertThat(m.path("from").asText()).isEqualTo("alice");
            assertThat(m.path("offset").asLong()).isEqualTo(1);
            assertThat(m.path("ts").asLong()).isPositive();
            a.assertNoMessage(200);

            a.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"again\",\"echo\":true}");
            assertThat(a.next("room_message").path("offset").asLong()).isEqualTo(2);
            assertThat(b.next("room_message").path("offset").asLong()).isEqualTo(2);
        }
    }

    @Test
    void publishingToARoomNotJoinedIsAnError() {
        try (WsClient a = WsClient.welcomed(port, "alice")) {
            a.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"hi\",\"id\":\"x\"}");
            JsonNode e = a.next("error");
            assertThat(e.path("code").asText()).isEqualTo("not_in_room");
            assertThat(e.path("error").asText()).isEqualTo("not in room r");
            assertThat(e.path("id").asText()).isEqualTo("x");
        }
    }

    @Test
    void leavingARoomAnswersRoomLeftAndTellsTheRemainingMembers() {
        try (WsClient a = WsClient.welcomed(port, "alice"); WsClient b = WsClient.welcomed(port, "bob")) {
            join(a, "r");
            join(b, "r");
            JsonNode joinedNotice = a.next("user_joined_room");

            b.send("{\"type\":\"leave_room\",\"room\":\"r\",\"id\":\"l1\"}");
            JsonNode left = b.next("room_left");
            assertThat(left.path("room").asText()).isEqualTo("r");
            assertThat(left.path("id").asText()).isEqualTo("l1");
            JsonNode notice = a.next("user_left_room");
            assertThat(notice.path("room").asText()).isEqualTo("r");
            assertThat(notice.path("userId").asText()).isEqualTo("bob");
            assertThat(notice.path("connId").asText()).isEqualTo(joinedNotice.path("connId").asText());

            a.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"after\"}");
            b.assertNoMessage(200);
        }
    }

    @Test
    void leavingARoomNotJoinedIsNotInRoom() {
        try (WsClient a = WsClient.welcomed(port, "alice")) {
            a.send("{\"type\":\"leave_room\",\"room\":\"nowhere\",\"id\":7}");
            JsonNode e = a.next();
            assertError(e, "not_in_room", "not in room nowhere");
            assertThat(e.path("id").asInt()).isEqualTo(7);
        }
    }

    @Test
    void privateMessagesReachEveryConnectionOfTheUserAndOnlyThem() {
        try (WsClient a = WsClient.welcomed(port, "alice");
             WsClient b1 = WsClient.welcomed(port, "bob");
             WsClient b2 = WsClient.welcomed(port, "bob");
             WsClient c = WsClient.welcomed(port, "carol")) {
            a.send("{\"type\":\"private_message\",\"to\":\"bob\",\"content\":\"psst\",\"data\":{\"n\":1},\"id\":\"p\"}");
            JsonNode ack = a.next("ack");
            assertThat(ack.path("id").asText()).isEqualTo("p");
            assertThat(ack.has("offset")).isFalse();
            for (WsClient b : List.of(b1, b2)) {
                JsonNode m = b.next("private_message");
                assertThat(m.path("from").asText()).isEqualTo("alice");
                assertThat(m.path("content").asText()).isEqualTo("psst");
                assertThat(m.path("data").path("n").asInt()).isEqualTo(1);
                assertThat(m.path("connId").asText()).startsWith("c-t1-");
                assertThat(m.path("ts").asLong()).isPositive();
            }
            c.assertNoMessage(200);
            a.assertNoMessage(0);
        }
    }

    @Test
    void privateMessageToAUserWhoIsNotConnectedIsUserNotFound() {
        try (WsClient a = WsClient.welcomed(port, "alice")) {
            a.send("{\"type\":\"private_message\",\"to\":\"ghost\",\"content\":\"hello?\",\"id\":3}");
            JsonNode e = a.next();
            assertError(e, "user_not_found", "user ghost is not connected");
            assertThat(e.path("id").asInt()).isEqualTo(3);
        }
    }

    @Test
    void broadcastReachesEveryConnectionButTheSenderAndIsAcked() {
        try (WsClient a = WsClient.welcomed(port, "alice");
             WsClient b = WsClient.welcomed(port, "bob");
             WsClient c = WsClient.welcomed(port, "carol")) {
            a.send("{\"type\":\"broadcast\",\"content\":\"all hands\",\"id\":\"b1\"}");
            JsonNode ack = a.next("ack");
            assertThat(ack.path("id").asText()).isEqualTo("b1");
            for (WsClient peer : List.of(b, c)) {
                JsonNode m = peer.next("broadcast");
                assertThat(m.path("from").asText()).isEqualTo("alice");
                assertThat(m.path("content").asText()).isEqualTo("all hands");
                assertThat(m.path("ts").asLong()).isPositive();
            }
            a.assertNoMessage(200);
        }
    }

    @Test
    void presenceListsTheMembersSortedWithTheirCount() {
        try (WsClient a = WsClient.welcomed(port, "alice");
             WsClient b = WsClient.welcomed(port, "bob");
             WsClient c = WsClient.welcomed(port, "carol")) {
            join(b, "r");
            join(a, "r");
            b.next("user_joined_room");
            c.send("{\"type\":\"presence\",\"room\":\"r\",\"id\":\"q\"}");
            JsonNode p = c.next("presence");
            assertThat(p.path("id").asText()).isEqualTo("q");
            assertThat(p.path("room").asText()).isEqualTo("r");
            assertThat(p.path("count").asInt()).isEqualTo(2);
            assertThat(p.path("members").findValuesAsText("userId")).containsExactly("alice", "bob");
            assertThat(p.path("members").findValuesAsText("connId")).allMatch(id -> id.startsWith("c-t1-"));

            c.send("{\"type\":\"presence\",\"room\":\"empty\"}");
            JsonNode none = c.next("presence");
            assertThat(none.path("count").asInt()).isZero();
            assertThat(none.path("members")).isEmpty();
        }
    }

    @Test
    void historyReturnsMessagesAfterSinceUpToLimitWithTheEpoch() {
        try (WsClient a = WsClient.welcomed(port, "alice")) {
            String epoch = join(a, "r").path("epoch").asText();
            for (int i = 1; i <= 5; i++) {
                a.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"m" + i + "\",\"id\":" + i + "}");
                assertThat(a.next("ack").path("offset").asLong()).isEqualTo(i);
            }
            a.send("{\"type\":\"history\",\"room\":\"r\",\"since\":1,\"limit\":2,\"id\":\"h\"}");
            JsonNode h = a.next("history");
            assertThat(h.path("id").asText()).isEqualTo("h");
            assertThat(h.path("room").asText()).isEqualTo("r");
            assertThat(h.path("epoch").asText()).isEqualTo(epoch);
            assertThat(h.path("messages").findValuesAsText("content")).containsExactly("m2", "m3");
            assertThat(offsets(h.path("messages"))).containsExactly(2L, 3L);
            assertThat(h.path("messages").get(0).path("type").asText()).isEqualTo("room_message");
            assertThat(h.path("messages").get(0).path("from").asText()).isEqualTo("alice");

            a.send("{\"type\":\"history\",\"room\":\"r\"}");
            assertThat(offsets(a.next("history").path("messages"))).containsExactly(1L, 2L, 3L, 4L, 5L);
            a.send("{\"type\":\"history\",\"room\":\"r\",\"limit\":2}");
            assertThat(offsets(a.next("history").path("messages"))).containsExactly(4L, 5L);
            a.send("{\"type\":\"history\",\"room\":\"r\",\"since\":5}");
            assertThat(a.next("history").path("messages")).isEmpty();
        }
    }

    private static List<Long> offsets(JsonNode messages) {
        List<Long> out = new ArrayList<>();
        messages.forEach(m -> out.add(m.path("offset").asLong()));
        return out;
    }

    @Test
    void echoReturnsContentAndDataWithTheId() {
        try (WsClient a = WsClient.welcomed(port, "alice")) {
            a.send("{\"type\":\"echo\",\"content\":\"hello\",\"data\":{\"k\":[1,2]},\"id\":\"e\"}");
            JsonNode e = a.next("echo");
            assertThat(e.path("id").asText()).isEqualTo("e");
            assertThat(e.path("content").asText()).isEqualTo("hello");
            assertThat(e.path("data").toString()).isEqualTo("{\"k\":[1,2]}");
        }
    }

    @Test
    void refreshIsAnErrorWhileAuthenticationIsOff() {
        try (WsClient a = WsClient.welcomed(port, "alice")) {
            a.send("{\"type\":\"refresh\",\"token\":\"abc\",\"id\":\"t\"}");
            JsonNode e = a.next();
            assertError(e, "invalid_field", "token refresh needs authentication, which is off on this server");
            assertThat(e.path("id").asText()).isEqualTo("t");
            a.send("{\"type\":\"ping\"}");
            a.next("pong");
        }
    }

    @Test
    void joiningMoreRoomsThanTheLimitIsTooManyRooms() {
        WebSocket d = WebSocket.defaults();
        restart(TestServers.with(TestServers.ws(d.pingInterval(), d.pongTimeout(), d.writeWait(), d.maxFrameBytes(),
                d.maxMessageBytes(), d.maxQueuedBytes(), 2, d.maxInvalidMessages(), d.maxConnections())));
        try (WsClient a = WsClient.welcomed(port, "alice")) {
            join(a, "r1");
            join(a, "r2");
            a.send("{\"type\":\"join_room\",\"room\":\"r3\",\"id\":\"j3\"}");
            JsonNode e = a.next();
            assertError(e, "too_many_rooms", "already in 2 rooms, the maximum");
            assertThat(e.path("id").asText()).isEqualTo("j3");
            a.send("{\"type\":\"presence\",\"room\":\"r3\"}");
            assertThat(a.next("presence").path("count").asInt()).isZero();

            a.send("{\"type\":\"leave_room\",\"room\":\"r1\"}");
            a.next("room_left");
            join(a, "r3");
        }
    }

    @Test
    void joiningAFullRoomIsRoomFull() {
        Hub d = Hub.defaults();
        restart(TestServers.with(d.toBuilder().maxRoomMembers(2).build()));
        try (WsClient a = WsClient.welcomed(port, "alice");
             WsClient b = WsClient.welcomed(port, "bob");
             WsClient c = WsClient.welcomed(port, "carol")) {
            join(a, "r");
            join(b, "r");
            c.send("{\"type\":\"join_room\",\"room\":\"r\",\"id\":1}");
            JsonNode e = c.next();
            assertError(e, "room_full", "room r is full");
            assertThat(e.path("id").asInt()).isEqualTo(1);
            a.next("user_joined_room");
            a.assertNoMessage(200);
        }
    }

    @Test
    void tutorialAliasesJoinLeaveAndRoomBroadcastWithRoomIdAreAccepted() {
        try (WsClient a = WsClient.welcomed(port, "alice"); WsClient b = WsClient.welcomed(port, "bob")) {
            a.send("{\"type\":\"join\",\"room_id\":\"r\"}");
            assertThat(a.next("room_joined").path("room").asText()).isEqualTo("r");
            b.send("{\"type\":\"join\",\"room\":\"r\"}");
            b.next("room_joined");
            a.next("user_joined_room");

            a.send("{\"type\":\"broadcast\",\"room_id\":\"r\",\"content\":\"to the room\",\"id\":9}");
            JsonNode ack = a.next("ack");
            assertThat(ack.path("offset").asLong()).isEqualTo(1);
            JsonNode m = b.next("room_message");
            assertThat(m.path("room").asText()).isEqualTo("r");
            assertThat(m.path("content").asText()).isEqualTo("to the room");
            assertThat(m.path("offset").asLong()).isEqualTo(1);

            b.send("{\"type\":\"leave\",\"room_id\":\"r\"}");
            assertThat(b.next("room_left").path("room").asText()).isEqualTo("r");
            assertThat(a.next("user_left_room").path("userId").asText()).isEqualTo("bob");
        }
    }

    @Test
    void theLastMemberLeavingRemovesTheRoomButItsHistoryAndOffsetsRemain() {
        try (WsClient a = WsClient.welcomed(port, "alice"); WsClient b = WsClient.welcomed(port, "bob")) {
            String epoch = join(a, "r").path("epoch").asText();
            a.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"one\",\"id\":1}");
            a.next("ack");
            a.send("{\"type\":\"leave_room\",\"room\":\"r\"}");
            a.next("room_left");
            assertThat(server.hub().rooms()).isEmpty();
            b.send("{\"type\":\"presence\",\"room\":\"r\"}");
            assertThat(b.next("presence").path("count").asInt()).isZero();

            JsonNode again = join(b, "r");
            assertThat(again.path("members")).hasSize(1);
            assertThat(again.path("offset").asLong()).isEqualTo(1);
            assertThat(again.path("epoch").asText()).isEqualTo(epoch);
            b.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"two\",\"id\":2}");
            assertThat(b.next("ack").path("offset").asLong()).isEqualTo(2);
        }
    }

    @Test
    void aMemberThatDisconnectsLeavesItsRoomsAndTheOthersAreTold() {
        try (WsClient a = WsClient.welcomed(port, "alice")) {
            join(a, "r");
            try (WsClient b = WsClient.welcomed(port, "bob")) {
                join(b, "r");
                a.next("user_joined_room");
            }
            JsonNode left = a.next("user_left_room");
            assertThat(left.path("userId").asText()).isEqualTo("bob");
            assertThat(left.path("room").asText()).isEqualTo("r");
            a.send("{\"type\":\"presence\",\"room\":\"r\"}");
            assertThat(a.next("presence").path("members").findValuesAsText("userId")).containsExactly("alice");
        }
    }

    @Test
    void joiningARoomAlreadyJoinedAnswersRoomJoinedAgainWithoutNotifyingTheOthers() {
        try (WsClient a = WsClient.welcomed(port, "alice"); WsClient b = WsClient.welcomed(port, "bob")) {
            join(a, "r");
            join(b, "r");
            a.next("user_joined_room");
            assertThat(join(b, "r").path("members")).hasSize(2);
            a.assertNoMessage(200);
        }
    }

    @Test
    void globalPresenceNoticesGoToEveryConnectionWhenEnabled() {
        Hub d = Hub.defaults();
        restart(TestServers.with(d.toBuilder().notifyGlobalPresence(true).build()));
        try (WsClient a = WsClient.welcomed(port, "alice")) {
            String bobConn;
            try (WsClient b = WsClient.connect(port, "bob")) {
                bobConn = b.next("welcome").path("connId").asText();
                JsonNode joined = a.next("user_joined");
                assertThat(joined.path("userId").asText()).isEqualTo("bob");
                assertThat(joined.path("connId").asText()).isEqualTo(bobConn);
                b.send("{\"type\":\"ping\"}");
                // Neither about itself nor about alice, who was there before it connected.
                b.next("pong");
            }
            JsonNode left = a.next("user_left");
            assertThat(left.path("userId").asText()).isEqualTo("bob");
            assertThat(left.path("connId").asText()).isEqualTo(bobConn);
        }
    }

    @Test
    void globalPresenceNoticesAreOffByDefault() {
        try (WsClient a = WsClient.welcomed(port, "alice")) {
            try (WsClient b = WsClient.welcomed(port, "bob")) {
                b.send("{\"type\":\"ping\"}");
                b.next("pong");
            }
            a.assertNoMessage(300);
        }
    }
}
