package io.switchboard.server.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** After the first close frame, no frame leaves: each later one is released and its write succeeds. */
class SingleCloseFrameEncoderTest {

    @Test
    void framesAreEncodedUntilTheFirstCloseFrameAndNoneAfterIt() {
        EmbeddedChannel ch = new EmbeddedChannel(new SingleCloseFrameEncoder());
        ch.writeOutbound(new TextWebSocketFrame("before"));
        ch.writeOutbound(new CloseWebSocketFrame(WebSocketCloseStatus.POLICY_VIOLATION, "limit"));

        TextWebSocketFrame late = new TextWebSocketFrame("late");
        CloseWebSocketFrame second = new CloseWebSocketFrame(WebSocketCloseStatus.PROTOCOL_ERROR, "decoder");
        PingWebSocketFrame ping = new PingWebSocketFrame();
        ChannelFuture lateWrite = ch.writeAndFlush(late);
        ChannelFuture secondWrite = ch.writeAndFlush(second);
        ChannelFuture pingWrite = ch.writeAndFlush(ping);

        assertThat(drain(ch)).as("an unmasked text frame, then the first close frame (1008), then nothing")
                .isEqualTo(hex(new byte[] {(byte) 0x81, 6}) + hex("before".getBytes(StandardCharsets.UTF_8))
                        + hex(new byte[] {(byte) 0x88, 7, 0x03, (byte) 0xF0})
                        + hex("limit".getBytes(StandardCharsets.UTF_8)));
        assertThat(lateWrite.isSuccess() && secondWrite.isSuccess() && pingWrite.isSuccess())
                .as("dropped writes complete, so a close-on-write listener still closes the channel").isTrue();
        assertThat(late.refCnt() + second.refCnt() + ping.refCnt()).as("dropped frames are released").isZero();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void writesThatAreNotFramesStillPassAfterTheClose() {
        EmbeddedChannel ch = new EmbeddedChannel(new SingleCloseFrameEncoder());
        ch.writeOutbound(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE, ""));
        ch.writeOutbound("raw bytes of a lower stage");
        drain(ch);
        assertThat(ch.<Object>readOutbound()).isEqualTo("raw bytes of a lower stage");
        ch.finishAndReleaseAll();
    }

    /** Every encoded buffer waiting on the channel, as hex, released. */
    private static String drain(EmbeddedChannel ch) {
        StringBuilder out = new StringBuilder();
        for (Object msg = ch.readOutbound(); msg instanceof ByteBuf; msg = ch.readOutbound()) {
            ByteBuf buf = (ByteBuf) msg;
            byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            buf.release();
            out.append(hex(bytes));
            if (ch.outboundMessages().peek() != null && !(ch.outboundMessages().peek() instanceof ByteBuf)) {
                break;
            }
        }
        return out.toString();
    }

    private static String hex(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        for (byte b : bytes) {
            out.append(String.format("%02x", b));
        }
        return out.toString();
    }
}
