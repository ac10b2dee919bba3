package io.switchboard.server.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.switchboard.protocol.BinaryOp;
import io.switchboard.protocol.CloseCode;
import io.switchboard.server.websocket.FuzzedConnection.Frame;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzz target for the binary-op parser ({@link BinaryOps}, PROTOCOL.md section 7): any binary message, sent
 * as one well-formed frame through the production stages. Properties (docs/fuzzing.md): an echo whose length
 * is right comes back as {@code 0x02} with the same length and payload; a control message is answered with
 * the single byte {@code 0x00}; a room publish is never sent back to its sender; everything malformed or
 * unknown closes with 1003 and nothing else closes; a connection left open still answers a ping command.
 * No exception leaves the pipeline, no buffer leaks, the connection always leaves the hub.
 */
class BinaryOpsFuzzTest {

    @FuzzTest
    void anyBinaryMessageIsAnsweredAsSection7SaysOrClosedWith1003(byte[] message) {
        try (FuzzedConnection c = new FuzzedConnection()) {
            c.write(FuzzedConnection.clientFrame(0x2, true, message));
            List<Frame> frames = c.take();
            List<Frame> binary = frames.stream().filter(f -> f.opcode() == 0x2).toList();
            boolean wellFormed = wellFormed(message);
            if (c.closeSent()) {
                Frame close = frames.get(frames.size() - 1);
                assertThat(close.closeCode()).as("close code of a binary message").isEqualTo(
                        message.length > FuzzedConnection.CONFIG.websocket().maxMessageBytes()
                                ? CloseCode.MESSAGE_TOO_BIG.code() : CloseCode.UNSUPPORTED_DATA.code());
                assertThat(wellFormed).as("a well-formed message was refused").isFalse();
                return;
            }
            assertThat(wellFormed).as("a malformed message was accepted").isTrue();
            switch (message[0]) {
                case BinaryOp.ECHO -> {
                    byte[] expected = message.clone();
                    expected[0] = BinaryOp.ECHO_REPLY;
                    assertThat(binary).hasSize(1);
                    assertThat(binary.get(0).payload()).isEqualTo(expected);
                }
                case BinaryOp.CONTROL -> {
                    assertThat(binary).hasSize(1);
                    assertThat(binary.get(0).payload()).containsExactly(BinaryOp.CONTROL_ACK);
                }
                default -> assertThat(binary).as("a room publish sent back to its sender").isEmpty();
            }
            c.write(FuzzedConnection.PING);
            assertThat(FuzzedConnection.answersProbe(c.take())).as("the probe after %s", Arrays.toString(message))
                    .isTrue();
        }
    }

    /** Whether PROTOCOL.md section 7 accepts the message (a room publish to a bad room name is answered, not closed). */
    private static boolean wellFormed(byte[] m) {
        if (m.length == 0) {
            return false;
        }
        return switch (m[0]) {
            case BinaryOp.ECHO, BinaryOp.CONTROL -> m.length >= BinaryOp.LENGTH_PREFIXED_HEADER
                    && (((m[1] & 0xFF) << 16) | ((m[2] & 0xFF) << 8) | (m[3] & 0xFF)) == m.length - BinaryOp.LENGTH_PREFIXED_HEADER;
            case BinaryOp.ROOM_PUBLISH -> m.length >= 2 && (m[1] & 0xFF) != 0 && m.length >= 2 + (m[1] & 0xFF);
            default -> false;
        };
    }
}
