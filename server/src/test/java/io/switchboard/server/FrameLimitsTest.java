package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.testkit.Await;
import io.switchboard.testkit.RawPeer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Frame-level rules (RFC 6455 and PROTOCOL.md section 6), driven by a raw peer that can break them:
 * size limits close with 1009, invalid UTF-8 with 1007, an unmasked client frame with 1002.
 */
class FrameLimitsTest {
    private static final int MAX_FRAME = 1024;
    private static final int MAX_MESSAGE = 4096;

    private SwitchboardServer server;
    private int port;

    @BeforeEach
    void start() {
        var d = TestServers.websocket();
        server = SwitchboardServer.start(TestServers.with(TestServers.ws(d.pingInterval(), d.pongTimeout(),
                d.writeWait(), MAX_FRAME, MAX_MESSAGE, d.maxQueuedBytes(), d.maxRoomsPerConnection(),
                d.maxInvalidMessages(), d.maxConnections())));
        port = server.port();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private RawPeer welcomed() throws Exception {
        RawPeer raw = RawPeer.connect(port, "/ws?id=raw");
        assertThat(raw.readText()).contains("\"type\":\"welcome\"");
        return raw;
    }

    /** An echo command padded with spaces to exactly {@code size} bytes. */
    private static byte[] echoOfSize(int size) {
        byte[] json = "{\"type\":\"echo\",\"content\":\"x\"}".getBytes(StandardCharsets.UTF_8);
        byte[] padded = Arrays.copyOf(json, size);
        Arrays.fill(padded, json.length, size, (byte) ' ');
        return padded;
    }

    @Test
    void aFrameOfExactlyMaxFrameBytesIsAccepted() throws Exception {
        try (RawPeer raw = welcomed()) {
            raw.sendFrame(true, RawPeer.TEXT, echoOfSize(MAX_FRAME), true);
            assertThat(raw.readText()).isEqualTo("{\"type\":\"echo\",\"content\":\"x\"}");
        }
    }

    @Test
    void aFrameAboveMaxFrameBytesClosesWith1009() throws Exception {
        try (RawPeer raw = welcomed()) {
            raw.sendFrame(true, RawPeer.TEXT, echoOfSize(MAX_FRAME + 1), true);
            RawPeer.Frame close = raw.readUntilClose();
            assertThat(close.closeCode()).isEqualTo(1009);
            assertThat(close.closeReason()).isEqualTo("Max frame length of 1024 has been exceeded.");
            assertThat(raw.closedByServer(3000)).isTrue();
        }
    }

    @Test
    void aFragmentedMessageWithinMaxMessageBytesIsJoinedAndAccepted() throws Exception {
        try (RawPeer raw = welcomed()) {
            byte[] whole = echoOfSize(MAX_MESSAGE);
            for (int i = 0; i < 4; i++) {
                raw.sendFrame(i == 3, i == 0 ? RawPeer.TEXT : RawPeer.CONTINUATION,
                        Arrays.copyOfRange(whole, i * MAX_FRAME, (i + 1) * MAX_FRAME), true);
            }
            assertThat(raw.readText()).isEqualTo("{\"type\":\"echo\",\"content\":\"x\"}");
        }
    }

    @Test
    void aFragmentedBinaryMessageWithAPingBetweenItsFramesIsJoinedAndThePingAnswered() throws Exception {
        try (RawPeer raw = welcomed()) {
            byte[] payload = new byte[600];
            java.util.Arrays.fill(payload, (byte) 'z');
            byte[] message = new byte[4 + payload.length];
            message[0] = io.switchboard.protocol.BinaryOp.ECHO;
            message[2] = (byte) (payload.length >> 8);
            message[3] = (byte) payload.length;
            System.arraycopy(payload, 0, message, 4, payload.length);
            raw.sendFrame(false, RawPeer.BINARY, Arrays.copyOfRange(message, 0, 300), true);
            raw.sendFrame(true, RawPeer.PING, new byte[] {7}, true);
            raw.sendFrame(true, RawPeer.CONTINUATION, Arrays.copyOfRange(message, 300, message.length), true);

            RawPeer.Frame pong = raw.expectFrame();
            assertThat(pong.opcode()).isEqualTo(RawPeer.PONG);
            assertThat(pong.payload()).containsExactly(7);
            RawPeer.Frame reply = raw.expectFrame();
            assertThat(reply.opcode()).isEqualTo(RawPeer.BINARY);
            assertThat(reply.payload()[0]).isEqualTo(io.switchboard.protocol.BinaryOp.ECHO_REPLY);
            assertThat(Arrays.copyOfRange(reply.payload(), 4, reply.payload().length)).isEqualTo(payload);
        }
    }

    @Test
    void aFragmentedMessageAboveMaxMessageBytesClosesWith1009EvenThoughEveryFrameIsSmall() throws Exception {
        try (RawPeer raw = welcomed()) {
            byte[] whole = echoOfSize(MAX_MESSAGE + MAX_FRAME);
            for (int i = 0; i < 5; i++) {
                raw.sendFrame(i == 4, i == 0 ? RawPeer.TEXT : RawPeer.CONTINUATION,
                        Arrays.copyOfRange(whole, i * MAX_FRAME, (i + 1) * MAX_FRAME), true);
            }
            RawPeer.Frame close = raw.readUntilClose();
            assertThat(close.closeCode()).isEqualTo(1009);
            assertThat(close.closeReason()).isEqualTo("message too big");
            assertThat(raw.closedByServer(3000)).isTrue();
        }
        Await.until("the connection is unregistered", () -> server.hub().connectionCount() == 0);
    }

    @Test
    void invalidUtf8InATextFrameClosesWith1007() throws Exception {
        try (RawPeer raw = welcomed()) {
            raw.sendFrame(true, RawPeer.TEXT, new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'}, true);
            RawPeer.Frame close = raw.readUntilClose();
            assertThat(close.closeCode()).isEqualTo(1007);
            assertThat(close.closeReason()).isEqualTo("bytes are not UTF-8");
            assertThat(raw.closedByServer(3000)).isTrue();
        }
    }

    @Test
    void anUnmaskedClientFrameClosesWith1002() throws Exception {
        try (RawPeer raw = welcomed()) {
            raw.sendFrame(true, RawPeer.TEXT, "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8), false);
            RawPeer.Frame close = raw.readUntilClose();
            assertThat(close.closeCode()).isEqualTo(1002);
            assertThat(close.closeReason()).isEqualTo("received a frame that is not masked as expected");
            assertThat(raw.closedByServer(3000)).isTrue();
        }
    }

    @Test
    void aClientPingIsAnsweredWithAPongCarryingItsPayload() throws Exception {
        try (RawPeer raw = welcomed()) {
            raw.sendFrame(true, RawPeer.PING, new byte[] {1, 2, 3}, true);
            RawPeer.Frame pong = raw.expectFrame();
            assertThat(pong.opcode()).isEqualTo(RawPeer.PONG);
            assertThat(pong.payload()).containsExactly(1, 2, 3);
        }
    }
}
