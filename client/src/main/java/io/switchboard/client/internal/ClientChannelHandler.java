package io.switchboard.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.timeout.IdleStateEvent;
import io.switchboard.client.Disconnect;
import io.switchboard.protocol.JsonCodec;
import java.io.IOException;

/**
 * Last stage of a client connection: hands the frames of the current channel to its
 * {@link ServerMessageRouter}, tells its {@link NettySwitchboardClient} of the upgrade, writability and
 * the end, and remembers why the connection ended (close frame, rejected upgrade, dead-connection timeout,
 * network error) so that the client can consult the close-code table once the channel is inactive.
 *
 * <p>Confined to the channel's event loop (the client's loop).
 */
final class ClientChannelHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
    private static final ObjectMapper MAPPER = new JsonCodec().mapper();

    private final NettySwitchboardClient client;
    private final ServerMessageRouter router;
    /** Why the connection ended; 1006 until a close frame or a rejection says otherwise. */
    private int code = Disconnect.ABNORMAL;
    private String reason = "connection lost";
    private boolean fromCloseFrame;

    ClientChannelHandler(NettySwitchboardClient client, ServerMessageRouter router) {
        super(true);
        this.client = client;
        this.router = router;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            if (client.isCurrent(ctx.channel())) {
                client.handshakeComplete(ctx.channel());
            }
        } else if (evt == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            reason = "upgrade timed out";
            ctx.close();
        } else if (evt instanceof IdleStateEvent) {
            reason = "nothing received within the receive timeout: connection presumed dead";
            ctx.close();
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (!client.isCurrent(ctx.channel())) {
            return;
        }
        if (frame instanceof TextWebSocketFrame) {
            JsonNode node;
            try {
                node = MAPPER.readTree(ByteBufUtil.getBytes(frame.content()));
            } catch (IOException e) {
                router.onInvalidText(e.getMessage());
                return;
            }
            if (node == null || !node.isObject()) {
                router.onInvalidText("not a JSON object");
                return;
            }
            router.onText(node);
        } else if (frame instanceof BinaryWebSocketFrame) {
            router.onBinary(ByteBufUtil.getBytes(frame.content()));
        } else if (frame instanceof CloseWebSocketFrame close) {
            int status = close.statusCode();
            code = status < 0 ? 1005 : status; // 1005: no status present (RFC 6455 section 7.1.5)
            reason = close.reasonText();
            fromCloseFrame = true;
            if (client.isClosing()) {
                ctx.close(); // the answer to our own close frame
            } else {
                // RFC 6455 section 5.5.1: answer a close frame with one echoing its status, then close.
                CloseWebSocketFrame answer = status < 0 ? new CloseWebSocketFrame() : new CloseWebSocketFrame(status, "");
                ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable() && client.isCurrent(ctx.channel())) {
            client.writabilityChanged();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof StreamRefusedException refused) {
            code = refused.status;
            reason = refused.getMessage();
        } else if (cause instanceof WebSocketClientHandshakeException rejected && rejected.response() != null) {
            code = rejected.response().status().code();
            reason = "upgrade rejected: " + rejected.response().status();
        } else if (!fromCloseFrame) {
            reason = String.valueOf(cause.getMessage() == null ? cause : cause.getMessage());
        }
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        client.connectionEnded(ctx.channel(), code, reason, fromCloseFrame);
        super.channelInactive(ctx);
    }
}
