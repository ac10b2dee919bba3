package io.switchboard.server.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;

/**
 * Netty's frame decoder, answering an invalid close frame with the close code RFC 6455 prescribes.
 * Netty fails such a connection without a close frame of its own (the peer has already sent one),
 * and the protocol handler then closes with 1000; this stage sends 1002 for a bad status code or a
 * one-byte body (section 7.4.1, 5.5.1) and 1007 for a reason that is not UTF-8 (section 8.1) instead.
 * Confined to the channel's event loop.
 */
final class CloseFrameCheckingDecoder extends WebSocket13FrameDecoder {

    CloseFrameCheckingDecoder(WebSocketDecoderConfig config) {
        super(config);
    }

    @Override
    protected void checkCloseFrameBody(ChannelHandlerContext ctx, ByteBuf buffer) {
        if (buffer == null || !buffer.isReadable()) {
            return;
        }
        WebSocketCloseStatus answer = null;
        if (buffer.readableBytes() == 1 || !isValidCode(buffer.getUnsignedShort(buffer.readerIndex()))) {
            answer = WebSocketCloseStatus.PROTOCOL_ERROR;
        } else if (!isUtf8(buffer, buffer.readerIndex() + 2, buffer.readableBytes() - 2)) {
            answer = WebSocketCloseStatus.INVALID_PAYLOAD_DATA;
        }
        if (answer == null) {
            return;
        }
        // Through the whole pipeline, so the protocol handler records that a close frame went out and does
        // not add its own 1000 when the decoder closes the channel (Autobahn reads the last close frame).
        ctx.channel().writeAndFlush(new CloseWebSocketFrame(answer));
        throw new CorruptedWebSocketFrameException(answer, "invalid close frame");
    }

    /** RFC 6455 section 7.4: defined codes a peer may send, and the registered and private ranges. */
    static boolean isValidCode(int code) {
        return code >= 1000 && code <= 1003 || code >= 1007 && code <= 1014 || code >= 3000 && code <= 4999;
    }

    private static boolean isUtf8(ByteBuf buf, int index, int length) {
        return Utf8Validation.scan(Utf8Validation.ACCEPT, buf.slice(index, length)) == Utf8Validation.ACCEPT;
    }
}
