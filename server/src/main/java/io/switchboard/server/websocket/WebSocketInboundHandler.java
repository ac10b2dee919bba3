package io.switchboard.server.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import io.switchboard.core.DisconnectReason;
import io.switchboard.core.auth.Grants;
import io.switchboard.core.hub.Connection;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.hub.Shard;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.ErrorCode;
import io.switchboard.protocol.ServerMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last stage of a WebSocket connection: registers it with the hub once the handshake completed, and
 * feeds its messages to the hub (text to the {@code CommandHandler}, binary to {@link BinaryOps}), pings
 * and closes to its {@link NettySession}. Confined to the channel's event loop.
 */
final class WebSocketInboundHandler extends MessageJoiningHandler implements InboundLimitHandler.Peer {
    private static final Logger log = LoggerFactory.getLogger(WebSocketInboundHandler.class);

    private final WebSocketContext context;
    private final NettySession session;
    private final Grants grants;
    /** Set once the peer sent a close frame: a reset after it still counts as a client close. Event loop only. */
    private boolean peerSentClose;

    WebSocketInboundHandler(WebSocketContext context, Grants grants) {
        super(context.maxMessageBytes());
        this.context = context;
        this.session = new NettySession(context.session());
        this.grants = grants;
    }

    /** The connection's session. */
    NettySession session() {
        return session;
    }

    @Override
    public Connection connection() {
        return session.connection();
    }

    /**
     * Records every inbound frame, pings included, as activity for the heartbeat timeout; called by the
     * {@link InboundLimitHandler} in front of the protocol handler, which answers and swallows pings.
     */
    @Override
    public void frameArrived(WebSocketFrame frame) {
        Connection connection = session.connection();
        if (connection != null) {
            connection.touch(context.hub().time().nanoTime());
            peerSentClose |= frame instanceof CloseWebSocketFrame;
        }
    }

    @Override
    public void messageDropped() {
        releaseFragments();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            context.afterHandshake().reshape(ctx.pipeline());
            session.attach(ctx.channel(), ctx.pipeline().context(AfterHandshake.ENCODER));
            Hub hub = context.hub();
            Shard shard = hub.shard(ctx.channel().eventLoop());
            // An embedding hook in place of the command handler speaks its own protocol: no welcome.
            Connection connection = hub.register(session, grants.userId(), shard, context.messages() == null);
            session.registered(connection);
            connection.grants(grants);
            TokenExpiry.schedule(ctx.executor(), session, context);
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (frame instanceof CloseWebSocketFrame close) {
                session.peerClosed(ctx.channel(), close);
                return;
            }
            if (session.connection() == null || session.closing()) {
                return;
            }
            if (frame instanceof PingWebSocketFrame) {
                session.pong(frame.content().retain());
            } else if (frame instanceof PongWebSocketFrame) {
                return; // only activity (InboundLimitHandler told us of it)
            } else {
                dataFrame(ctx, frame); // text, binary or a continuation: the decoder passes nothing else
            }
        } catch (RuntimeException e) {
            // Never let a bad message escape to the event loop: answer and keep the connection.
            log.error("frame from {} failed", session.connection(), e);
            context.hub().send(session.connection(), new ServerMessage.Error(null, ErrorCode.INTERNAL,
                    "internal error"));
        } finally {
            ReferenceCountUtil.release(frame);
        }
    }

    @Override
    void onMessage(ChannelHandlerContext ctx, boolean text, ByteBuf content) {
        if (context.messages() != null) {
            context.messages().onMessage(session, text, content);
        } else if (text) {
            onText(content);
        } else {
            context.binaryOps().handle(ctx.alloc(), session, content);
        }
    }

    @Override
    void messageTooBig() {
        context.hub().metrics().transportError("message_too_big");
        log.info("closing {}: message larger than websocket.maxMessageBytes", session.remoteAddress());
        session.closeForViolation(CloseCode.MESSAGE_TOO_BIG, "message too big");
    }

    private void onText(ByteBuf content) {
        if (content.hasArray()) {
            context.commands().handleText(session.connection(), content.array(),
                    content.arrayOffset() + content.readerIndex(), content.readableBytes());
        } else {
            byte[] bytes = ByteBufUtil.getBytes(content);
            context.commands().handleText(session.connection(), bytes, 0, bytes.length);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        session.writabilityChanged(ctx.channel());
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        session.dropQueued();
        if (session.connection() != null) {
            context.hub().disconnect(session.connection(), DisconnectReason.CLIENT_CLOSE);
        }
        context.onClosed().run();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Connection connection = session.connection();
        log.debug("connection {} failed: {}", connection, cause.toString());
        if (!peerSentClose) {
            context.hub().metrics().transportError("exception");
        }
        if (connection != null) {
            context.hub().disconnect(connection,
                    peerSentClose ? DisconnectReason.CLIENT_CLOSE : DisconnectReason.ERROR);
        }
        ctx.close();
    }
}
