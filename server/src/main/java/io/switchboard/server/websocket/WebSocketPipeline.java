package io.switchboard.server.websocket;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.switchboard.core.auth.Grants;
import io.switchboard.core.command.CommandHandler;
import io.switchboard.core.config.WebSocket;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.limit.SecurityCounters;
import io.switchboard.server.buffer.OutboundLimit;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.server.observability.InboundMessages;
import java.util.List;

/**
 * The WebSocket stages of a connection, installed for an admitted upgrade behind the HTTP stages:
 * {@code [wsCompression] → wsLimit → wsProtocol → session} (the session joins fragmented messages itself,
 * see {@link MessageJoiningHandler}); Netty's handshaker then swaps the HTTP codec for {@code wsdecoder} and
 * {@code wsencoder}, and once the handshake completed the session has {@link AfterHandshake} take the
 * HTTP-only stages and the protocol handler out. The HTTP stages are named by whoever assembles them, so
 * this package knows no HTTP class. Shared by every connection; immutable.
 */
public final class WebSocketPipeline {
    public static final String COMPRESSION = "wsCompression";
    public static final String LIMIT = "wsLimit";
    public static final String PROTOCOL = "wsProtocol";
    public static final String SESSION = "session";

    private final SwitchboardConfig config;
    private final String after;
    /** Frame decoding and protocol settings, built once: every connection's handlers share them. */
    private final WebSocketDecoderConfig decoder;
    private final WebSocketServerProtocolConfig protocol;
    private final WebSocketContext context;

    /**
     * @param onClosed called once per WebSocket connection when its channel closes
     * @param after the stage the WebSocket stages are installed behind (the HTTP router)
     * @param httpOnlyStages the stages removed once the handshake completed
     * @param messages what handles whole messages instead of {@code commands} and the binary ops (an embedding
     *     hook, see {@link InboundMessages}), or null
     */
    public WebSocketPipeline(SwitchboardConfig config, Hub hub, CommandHandler commands, Runnable onClosed,
                             SecurityCounters counters, String after, List<String> httpOnlyStages,
                             InboundMessages messages) {
        WebSocket ws = config.websocket();
        this.config = config;
        this.after = after;
        this.decoder = decoderConfig(ws);
        this.protocol = protocolConfig(ws, decoder);
        SessionSettings session = new SessionSettings(hub, OutboundLimit.of(ws.maxQueuedBytes()));
        this.context = new WebSocketContext(hub, commands, new BinaryOps(hub),
                new AfterHandshake(decoder, httpOnlyStages), session, counters, onClosed, ws.maxMessageBytes(),
                config.security().jwtClockSkew().toMillis(), messages);
    }

    /** Installs the WebSocket stages, with a new session, for an upgrade admitted with {@code grants}. */
    public void install(ChannelPipeline p, Grants grants) {
        WebSocketInboundHandler session = new WebSocketInboundHandler(context, grants);
        install(p, session, session);
    }

    /** Installs the WebSocket stages with {@code last} as the final stage, which {@code peer} speaks for. */
    void install(ChannelPipeline p, InboundLimitHandler.Peer peer, ChannelHandler last) {
        WebSocket ws = config.websocket();
        if (ws.enableCompression()) {
            // The inflater stops near the message cap, so a small compressed frame cannot expand without bound.
            p.addAfter(after, COMPRESSION, DeflateOffers.handler(p.channel(),
                    MessageJoiningHandler.inflaterCap(ws.maxMessageBytes(), ws.maxFrameBytes())));
            p.addAfter(COMPRESSION, PROTOCOL, new WebSocketServerProtocolHandler(protocol));
        } else {
            p.addAfter(after, PROTOCOL, new WebSocketServerProtocolHandler(protocol));
        }
        p.addAfter(PROTOCOL, SESSION, last); // which joins fragmented messages itself
        // Before the protocol handler, which answers and swallows client pings: they count as activity (the
        // limit stage tells the session of every frame) and take tokens, so a ping flood is not answered.
        p.addBefore(PROTOCOL, LIMIT, new InboundLimitHandler(context.hub(), config.security(), ws, peer,
                context.counters()));
    }

    /** What reshapes a connection's pipeline once its handshake completed. */
    AfterHandshake afterHandshake() {
        return context.afterHandshake();
    }

    /**
     * Frame decoding limits: RFC 6455 framing, masked frames, compression only when enabled. Text is
     * validated as UTF-8 by {@link InboundLimitHandler}, after inflation, instead of Netty's validator stage.
     */
    static WebSocketDecoderConfig decoderConfig(WebSocket ws) {
        return WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(ws.maxFrameBytes())
                .allowExtensions(ws.enableCompression())
                .closeOnProtocolViolation(true)
                .withUTF8Validator(false) // InboundLimitHandler validates text messages: one stage less
                .build();
    }

    /** The protocol handler's settings: the upgrade path, close handling and handshake deadline. */
    static WebSocketServerProtocolConfig protocolConfig(WebSocket ws, WebSocketDecoderConfig decoder) {
        return WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(ws.path())
                .checkStartsWith(true)
                .handleCloseFrames(false) // the session answers closes: exactly one close frame each way
                // No automatic "1000 Bye" when the channel is closed: every deliberate close writes its own
                // frame first (session, decoder, server stop with 1001), and a second close frame after the
                // decoder's 1002 would override it for the peer (Autobahn 7.x).
                .sendCloseFrame(null)
                .dropPongFrames(false)
                .handshakeTimeoutMillis(ws.handshakeTimeout().toMillis())
                .forceCloseTimeoutMillis(NettySession.CLOSE_LINGER_MILLIS)
                .decoderConfig(decoder)
                .build();
    }
}
