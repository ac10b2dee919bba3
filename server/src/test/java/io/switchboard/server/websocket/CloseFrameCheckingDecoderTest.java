package io.switchboard.server.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Invalid close frames are answered with the code RFC 6455 prescribes, valid ones pass. */
class CloseFrameCheckingDecoderTest {
    private static EmbeddedChannel channel() {
        return new EmbeddedChannel(new CloseFrameCheckingDecoder(WebSocketDecoderConfig.newBuilder().build()));
    }

    /** A client close frame (FIN, opcode 8), masked with a zero key so the payload reads as it is. */
    private static byte[] closeFrame(byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x88);
        out.write(0x80 | payload.length);
        out.writeBytes(new byte[4]);
        out.writeBytes(payload);
        return out.toByteArray();
    }

    private static byte[] status(int code, byte... reason) {
        byte[] b = new byte[2 + reason.length];
        b[0] = (byte) (code >> 8);
        b[1] = (byte) code;
        System.arraycopy(reason, 0, b, 2, reason.length);
        return b;
    }

    private static int answeredCode(EmbeddedChannel ch) {
        CloseWebSocketFrame answer = ch.readOutbound();
        try {
            return answer.statusCode();
        } finally {
            answer.release();
        }
    }

    @Test
    void aStatusCodeNoPeerMaySendIsAnswered1002() {
        EmbeddedChannel ch = channel();
        assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(closeFrame(status(1005)))))
                .isInstanceOf(CorruptedWebSocketFrameException.class);
        assertThat(answeredCode(ch)).isEqualTo(1002);
        assertFalse(ch.finish());
    }

    @Test
    void aOneByteBodyIsAnswered1002() {
        EmbeddedChannel ch = channel();
        assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(closeFrame(new byte[] {3}))))
                .isInstanceOf(CorruptedWebSocketFrameException.class);
        assertThat(answeredCode(ch)).isEqualTo(1002);
        assertFalse(ch.finish());
    }

    @Test
    void aReasonThatIsNotUtf8IsAnswered1007() {
        EmbeddedChannel ch = channel();
        assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(closeFrame(status(1000, (byte) 0xFF)))))
                .isInstanceOf(CorruptedWebSocketFrameException.class);
        assertThat(answeredCode(ch)).isEqualTo(1007);
        assertFalse(ch.finish());
    }

    @Test
    void aValidCloseFramePassesUnanswered() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Unpooled.wrappedBuffer(closeFrame(status(4000, "bye".getBytes(StandardCharsets.UTF_8)))));
        CloseWebSocketFrame close = ch.readInbound();
        assertThat(close.statusCode()).isEqualTo(4000);
        assertThat(close.reasonText()).isEqualTo("bye");
        close.release();
        Object answer = ch.readOutbound();
        assertThat(answer).isNull();
        assertFalse(ch.finish());
    }

    @Test
    void theCodesAPeerMaySendAreThoseOfSection7Point4() {
        assertThat(CloseFrameCheckingDecoder.isValidCode(1000)).isTrue();
        assertThat(CloseFrameCheckingDecoder.isValidCode(1004)).isFalse();
        assertThat(CloseFrameCheckingDecoder.isValidCode(1005)).isFalse();
        assertThat(CloseFrameCheckingDecoder.isValidCode(1006)).isFalse();
        assertThat(CloseFrameCheckingDecoder.isValidCode(1014)).isTrue();
        assertThat(CloseFrameCheckingDecoder.isValidCode(1015)).isFalse();
        assertThat(CloseFrameCheckingDecoder.isValidCode(2999)).isFalse();
        assertThat(CloseFrameCheckingDecoder.isValidCode(3000)).isTrue();
        assertThat(CloseFrameCheckingDecoder.isValidCode(4999)).isTrue();
        assertThat(CloseFrameCheckingDecoder.isValidCode(5000)).isFalse();
    }
}
