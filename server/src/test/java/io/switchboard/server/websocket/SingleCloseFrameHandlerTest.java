package io.switchboard.server.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.junit.jupiter.api.Test;

/** After the first close frame, no frame leaves: each later one is released and its write succeeds. */
class SingleCloseFrameHandlerTest {

    @Test
    void framesPassUntilTheFirstCloseFrameAndNoneAfterIt() {
        EmbeddedChannel ch = new EmbeddedChannel(new SingleCloseFrameHandler());
        TextWebSocketFrame before = new TextWebSocketFrame("before");
        ch.writeOutbound(before);
        ch.writeOutbound(new CloseWebSocketFrame(WebSocketCloseStatus.POLICY_VIOLATION, "limit"));

        TextWebSocketFrame late = new TextWebSocketFrame("late");
        CloseWebSocketFrame second = new CloseWebSocketFrame(WebSocketCloseStatus.PROTOCOL_ERROR, "decoder");
        PingWebSocketFrame ping = new PingWebSocketFrame();
        ChannelFuture lateWrite = ch.writeAndFlush(late);
        ChannelFuture secondWrite = ch.writeAndFlush(second);
        ChannelFuture pingWrite = ch.writeAndFlush(ping);

        WebSocketFrame first = ch.readOutbound();
        assertThat(first).isSameAs(before);
        CloseWebSocketFrame close = ch.readOutbound();
        assertThat(close.statusCode()).isEqualTo(1008);
        assertThat(ch.<Object>readOutbound()).as("nothing after the first close frame").isNull();
        assertThat(lateWrite.isSuccess() && secondWrite.isSuccess() && pingWrite.isSuccess())
                .as("dropped writes complete, so a close-on-write listener still closes the channel").isTrue();
        assertThat(late.refCnt() + second.refCnt() + ping.refCnt()).as("dropped frames are released").isZero();
        first.release();
        close.release();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void writesThatAreNotFramesStillPassAfterTheClose() {
        EmbeddedChannel ch = new EmbeddedChannel(new SingleCloseFrameHandler());
        ch.writeOutbound(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE, ""));
        ch.writeOutbound("raw bytes of a lower stage");
        CloseWebSocketFrame close = ch.readOutbound();
        close.release();
        assertThat(ch.<Object>readOutbound()).isEqualTo("raw bytes of a lower stage");
        ch.finishAndReleaseAll();
    }
}
