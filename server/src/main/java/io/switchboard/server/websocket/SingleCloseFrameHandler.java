package io.switchboard.server.websocket;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * RFC 6455 section 5.5.1: after its close frame an endpoint sends no more frames. Several stages may fail
 * a connection: the session or the limits (1003, 1007, 1008, ...) and then Netty's frame decoder, which
 * answers a protocol violation in bytes that were already on their way with a close frame of its own. The
 * first close frame goes out; any frame after it is dropped and its write completed, so a close-on-write
 * listener still closes the channel. Sits between the frame encoder and the frame decoder, so the
 * decoder's own writes pass it. Found by {@code FrameStagesFuzzTest}. Confined to the channel's event loop.
 */
final class SingleCloseFrameHandler extends ChannelOutboundHandlerAdapter {
    private boolean closeSent;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (closeSent && msg instanceof WebSocketFrame) {
            ReferenceCountUtil.release(msg);
            promise.trySuccess();
            return;
        }
        if (msg instanceof CloseWebSocketFrame) {
            closeSent = true;
        }
        ctx.write(msg, promise);
    }
}
