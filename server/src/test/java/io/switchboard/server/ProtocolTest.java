package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
}
