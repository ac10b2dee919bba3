package io.switchboard.server.sse;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.switchboard.core.DisconnectReason;
import io.switchboard.core.hub.Connection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last stage of an event stream's connection: tells the hub when the stream is gone and when its writes
 * back up (for {@code websocket.writeWait}). The client sends nothing more on this connection; whatever it
 * sends is dropped. Confined to the channel's event loop.
 */
final class SseHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(SseHandler.class);

    private final SseContext context;
    private final SseSession session;

    SseHandler(SseContext context, SseSession session) {
        this.context = context;
        this.session = session;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Connection connection = session.connection();
        if (connection != null) {
            connection.backlogged(ctx.channel().isWritable() ? 0 : Math.max(1, context.hub().time().nanoTime()));
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        session.dropCork();
        Connection connection = session.connection();
        if (connection != null) {
            context.hub().disconnect(connection, DisconnectReason.CLIENT_CLOSE);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("event stream {} failed: {}", session.connection(), cause.toString());
        Connection connection = session.connection();
        if (connection != null) {
            context.hub().disconnect(connection, DisconnectReason.ERROR);
        }
        ctx.close();
    }
}
