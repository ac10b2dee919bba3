package io.switchboard.server.websocket;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.AttributeKey;
import java.util.List;

/**
 * The one place that reshapes a connection's pipeline after its WebSocket handshake: the stricter
 * {@link CloseFrameCheckingDecoder} and {@link SingleCloseFrameEncoder} in place of Netty's decoder and
 * encoder, and the HTTP-only stages and the protocol handler gone, leaving
 * {@code wsdecoder → wsencoder → [wsCompression] → wsLimit → session}. The HTTP stages are named by whoever
 * assembled them, so this package knows no HTTP class. Shared by every connection;
 * immutable; runs on the connection's event loop.
 */
final class AfterHandshake {
    /** The frame decoder Netty's handshaker installs, swapped here for the stricter one. */
    static final String DECODER = "wsdecoder";
    /** The frame encoder Netty's handshaker installs; pre-encoded frames enter the pipeline just below it. */
    static final String ENCODER = "wsencoder";
    /** Where {@code WebSocketServerProtocolHandler} keeps the handshaker; see {@link #forgetHandshaker}. */
    private static final AttributeKey<WebSocketServerHandshaker> HANDSHAKER =
            AttributeKey.valueOf(WebSocketServerHandshaker.class, "HANDSHAKER");

    private final WebSocketDecoderConfig decoder;
    private final List<String> httpOnlyStages;

    /** @param httpOnlyStages the stages to remove, by name */
    AfterHandshake(WebSocketDecoderConfig decoder, List<String> httpOnlyStages) {
        this.decoder = decoder;
        this.httpOnlyStages = List.copyOf(httpOnlyStages);
    }

    /**
     * The handshake completed: the 101 response has just been written, and a client must not send frames
     * before it read it (RFC 6455 section 4.1), so the decoder holds no bytes yet and can be swapped for
     * {@link CloseFrameCheckingDecoder}; nothing was encoded yet either, so the encoder can be swapped for
     * {@link SingleCloseFrameEncoder}. The HTTP-only stages go, and so does the protocol handler: after
     * the handshake it only answers pings, which the session does; one pipeline stage less per connection.
     */
    void reshape(ChannelPipeline p) {
        if (p.get(WebSocket13FrameDecoder.class) != null
                && !(p.get(WebSocket13FrameDecoder.class) instanceof CloseFrameCheckingDecoder)) {
            p.replace(WebSocket13FrameDecoder.class, DECODER, new CloseFrameCheckingDecoder(decoder));
        }
        if (p.get(ENCODER) instanceof WebSocket13FrameEncoder && !(p.get(ENCODER) instanceof SingleCloseFrameEncoder)) {
            p.replace(ENCODER, ENCODER, new SingleCloseFrameEncoder());
        }
        for (String stage : httpOnlyStages) {
            p.remove(stage);
        }
        p.remove(WebSocketServerProtocolHandler.class);
        forgetHandshaker(p.channel());
    }

    /**
     * Netty keeps the handshaker in a channel attribute for the protocol handler's close handling; with
     * that handler gone nothing reads it, and the attribute, its entry and the handshaker are 80 bytes
     * per connection. The key is the one {@code WebSocketServerProtocolHandler} declares (by class and
     * name); should Netty rename it, this removes nothing. {@code remove} is deprecated only because a
     * removed attribute may be set again concurrently, which cannot happen here, on the event loop.
     */
    @SuppressWarnings("deprecation")
    private static void forgetHandshaker(Channel channel) {
        if (channel.hasAttr(HANDSHAKER)) {
            channel.attr(HANDSHAKER).remove();
        }
    }
}
