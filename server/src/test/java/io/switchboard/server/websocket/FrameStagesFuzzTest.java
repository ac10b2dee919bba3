package io.switchboard.server.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzz target for the WebSocket frame stages as production installs them (the frame decoder with its
 * close-frame check, the inbound limits, the joining of fragments, the session handler), through an
 * embedded channel: any bytes a peer sends after the handshake. Properties (docs/fuzzing.md): no exception
 * leaves the pipeline; every frame the server writes is well formed and nothing follows its close frame; a
 * connection the server ends is ended with a close frame carrying a code of the table; when the bytes end
 * on a frame boundary and the server has not closed, a ping command that follows is answered (or refused
 * with a clean close); the connection always leaves the hub. Buffer leaks fail the run through the
 * leak-detection extension (paranoid in the build).
 */
class FrameStagesFuzzTest {

    @FuzzTest
    void anyBytesAfterTheHandshakeEndInACleanCloseOrAWorkingConnection(byte[] bytes) {
        try (FuzzedConnection c = new FuzzedConnection()) {
            c.write(bytes);
            c.take();
            if (!c.closeSent() && endsOnFrameBoundary(bytes)) {
                c.write(FuzzedConnection.PING);
                boolean answered = FuzzedConnection.answersProbe(c.take());
                assertThat(answered || c.closeSent()).as("the probe after whole frames is answered or closed")
                        .isTrue();
            }
        }
    }

    /** Whether the bytes are a sequence of whole client frames (headers read as RFC 6455 5.2 lays them out). */
    static boolean endsOnFrameBoundary(byte[] b) {
        long at = 0;
        while (at < b.length) {
            if (b.length - at < 2) {
                return false;
            }
            int i = (int) at;
            long length = b[i + 1] & 0x7F;
            long header = 2;
            if (length == 126) {
                header = 4;
                if (b.length - at < header) {
                    return false;
                }
                length = ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
            } else if (length == 127) {
                header = 10;
                if (b.length - at < header) {
                    return false;
                }
                length = 0;
                for (int k = 2; k < 10; k++) {
                    length = (length << 8) | (b[i + k] & 0xFF);
                }
                if (length < 0) {
                    return false;
                }
            }
            if ((b[i + 1] & 0x80) != 0) {
                header += 4;
            }
            if (length > b.length - at - header) {
                return false;
            }
            at += header + length;
        }
        return true;
    }
}
