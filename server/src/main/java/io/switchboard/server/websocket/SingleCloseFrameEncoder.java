package io.switchboard.server.websocket;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * Netty's server frame encoder that sends nothing after its first close frame (RFC 6455 section 5.5.1: after
 * its close frame an endpoint sends no more frames). Several stages may fail a connection: the session or the
 * limits (1003, 1007, 1008, ...) and then Netty's frame decoder, which answers a protocol violation in bytes
 * that were already on their way with a close frame of its own. The first close frame goes out; any frame
 * after it is dropped and its write completed, so a close-on-write listener still closes the channel. Every
 * frame object passes this encoder, the decoder's own writes included; pre-encoded fan-out frames enter below
 * it and the session sends none after its close. Folded into the encoder rather than a stage of its own: a
 * pipeline context and a handler fewer per connection. Found by {@code FrameStagesFuzzTest}. Confined to the
 * channel's event loop.
 */
final class SingleCloseFrameEncoder extends WebSocket13FrameEncoder {
    private boolean closeSent;

    SingleCloseFrameEncoder() {
        super(false); // a server does not mask (RFC 6455 section 5.1)
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (closeSent && msg instanceof WebSocketFrame) {
            ReferenceCountUtil.release(msg);
            promise.trySuccess();
            return;
        }
        if (msg instanceof CloseWebSocketFrame) {
            closeSent = true;
        }
        super.write(ctx, msg, promise);
    }
}
