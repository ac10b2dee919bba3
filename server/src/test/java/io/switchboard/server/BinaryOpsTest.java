package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** PROTOCOL.md section 7: binary echo, control and room publish; anything else closes with 1003. */
class BinaryOpsTest {
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

    /** {@code op} + 3-byte big-endian {@code length} + {@code payload}. */
    private static byte[] lengthPrefixed(int op, int length, byte[] payload) {
        return ByteBuffer.allocate(4 + payload.length).put((byte) op).put((byte) (length >>> 16))
                .put((byte) (length >>> 8)).put((byte) length).put(payload).array();
    }

    /** {@code 0x10} + 1-byte name length + name + payload. */
    private static byte[] roomPublish(String room, byte[] payload) {
        byte[] name = room.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(2 + name.length + payload.length).put((byte) 0x10).put((byte) name.length)
                .put(name).put(payload).array();
    }

    private static void join(WsClient c, String room) {
        c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\"}");
        c.next("room_joined");
    }

    @Test
    void echoIsAnsweredWithOp02TheSameLengthAndTheSamePayload() {
        try (WsClient c = WsClient.welcomed(port, "alice")) {
            byte[] payload = new byte[300];
            for (int i = 0; i < payload.length; i++) {
                payload[i] = (byte) (i * 7);
            }
            c.sendBinary(lengthPrefixed(0x01, payload.length, payload));
            assertThat(c.nextBinary()).containsExactly(lengthPrefixed(0x02, payload.length, payload));
        }
    }

    @Test
    void anEmptyEchoIsAnsweredWithAnEmptyReply() {
        try (WsClient c = WsClient.welcomed(port, "alice")) {
            c.sendBinary(lengthPrefixed(0x01, 0, new byte[0]));
            assertThat(c.nextBinary()).containsExactly(0x02, 0, 0, 0);
        }
    }

    @Test
    void controlIsAnsweredWithTheSingleByte00() {
        try (WsClient c = WsClient.welcomed(port, "alice")) {
            c.sendBinary(lengthPrefixed(0x02, 3, new byte[] {9, 8, 7}));
            assertThat(c.nextBinary()).containsExactly(0x00);
        }
    }

    @Test
    void roomPublishIsRelayedUnchangedToTheOtherMembersButNotTheSender() {
        try (WsClient a = WsClient.welcomed(port, "alice");
             WsClient b = WsClient.welcomed(port, "bob");
             WsClient c = WsClient.welcomed(port, "carol");
             WsClient outsider = WsClient.welcomed(port, "dave")) {
            join(a, "bin");
            join(b, "bin");
            join(c, "bin");
            byte[] frame = roomPublish("bin", new byte[] {0, 1, 2, (byte) 0xFF, 42});
            a.sendBinary(frame);
            assertThat(b.nextBinary()).containsExactly(frame);
            assertThat(c.nextBinary()).containsExactly(frame);
            a.send("{\"type\":\"ping\"}");
            a.nextOfType("pong");
            assertThat(a.binaries).isEmpty();
            assertThat(outsider.binaries).isEmpty();
            outsider.assertNoMessage(100);
        }
    }

    @Test
    void roomPublishDoesNotTakeAnOffset() {
        try (WsClient a = WsClient.welcomed(port, "alice"); WsClient b = WsClient.welcomed(port, "bob")) {
            join(a, "bin");
            join(b, "bin");
            a.sendBinary(roomPublish("bin", new byte[] {1}));
            b.nextBinary();
            a.send("{\"type\":\"room_message\",\"room\":\"bin\",\"id\":1,\"content\":\"x\"}");
            assertThat(a.nextOfType("ack").path("offset").asLong()).isEqualTo(1);
        }
    }

    @Test
    void roomPublishToARoomNotJoinedIsNotInRoomAndKeepsTheConnection() {
        try (WsClient a = WsClient.welcomed(port, "alice")) {
            a.sendBinary(roomPublish("elsewhere", new byte[] {1, 2}));
            JsonNode e = a.next("error");
            assertThat(e.path("code").asText()).isEqualTo("not_in_room");
            assertThat(e.path("error").asText()).isEqualTo("not in room elsewhere");
            a.send("{\"type\":\"ping\"}");
            a.next("pong");
        }
    }

    @Test
    void anEchoWhoseLengthLiesClosesWith1003() {
        try (WsClient a = WsClient.welcomed(port, "alice")) {
            a.sendBinary(lengthPrefixed(0x01, 10, new byte[] {1, 2, 3}));
            assertThat(a.awaitClose()).isEqualTo(1003);
            assertThat(a.closeReason.getNow(null)).isEqualTo("binary length does not match the frame");
        }
    }

    @Test
    void aRoomPublishWhoseNameLengthOverrunsTheFrameClosesWith1003() {
        try (WsClient a = WsClient.welcomed(port, "alice")) {
            a.sendBinary(new byte[] {0x10, 20, 'a', 'b'});
            assertThat(a.awaitClose()).isEqualTo(1003);
            assertThat(a.closeReason.getNow(null)).isEqualTo("binary room name length does not match the frame");
        }
    }

    @Test
    void anUnknownOpClosesWith1003() {
        try (WsClient a = WsClient.welcomed(port, "alice")) {
            a.sendBinary(new byte[] {0x7F, 0, 0, 0});
            assertThat(a.awaitClose()).isEqualTo(1003);
            assertThat(a.closeReason.getNow(null)).isEqualTo("unknown binary op");
        }
    }
}
