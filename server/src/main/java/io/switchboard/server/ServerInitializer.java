package io.switchboard.server;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http.websocketx.extensions.compression.WebSocketServerCompressionHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.switchboard.core.auth.Grants;
import io.switchboard.core.auth.TokenVerifier;
import io.switchboard.core.command.CommandHandler;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.config.WebSocket;
import io.switchboard.core.limit.SecurityCounters;
import io.switchboard.server.config.SwitchboardConfig;

/**
 * Every connection's pipeline, assembled in one place. Until the upgrade:
 * {@code [tls] → deadline → http → pipelining → aggregator → router}. The router installs the WebSocket
 * stages for an admitted upgrade: {@code [compression] → wsLimit → wsProtocol → session} (the session
 * joins fragmented messages itself, see {@link MessageJoiningHandler}); once the handshake completes the
 * HTTP-only stages and the protocol handler are removed (the session answers pings), leaving
 * {@code wsdecoder → wsencoder → [compression] → wsLimit → session} ({@code wsLimit} also validates UTF-8).
 */
final class ServerInitializer extends ChannelInitializer<SocketChannel> {
    /** Largest chunk of a request body the HTTP decoder hands on at once. */
    static final int MAX_CHUNK_BYTES = 8192;

    private final SwitchboardConfig config;
    private final Hub hub;
    private final CommandHandler commands;
    private final HttpRouter router;
    private final Runnable onWebSocketClosed;
    private final SslContext tls;
    private final SecurityCounters counters;
    /** Frame decoding and protocol settings, built once: every connection's handlers share them. */
    private final WebSocketDecoderConfig decoder;
    private final WebSocketServerProtocolConfig protocol;

    /**
     * @param tokens verifies {@code refresh} tokens; null when authentication is off
     * @param tls the TLS context; null serves plain TCP
     */
    ServerInitializer(SwitchboardConfig config, Hub hub, HttpRouterFactory routerFactory, Runnable onWebSocketClosed,
                      TokenVerifier tokens, SslContext tls, SecurityCounters counters) {
        this.config = config;
        this.hub = hub;
        this.commands = new CommandHandler(hub, tokens);
        this.router = routerFactory.create(this::installWebSocket);
        this.onWebSocketClosed = onWebSocketClosed;
        this.tls = tls;
        this.counters = counters;
        this.decoder = decoderConfig(config.websocket());
        this.protocol = protocolConfig(config.websocket(), decoder);
    }

    /** Builds the shared router once the initializer can hand it the upgrade installer. */
    interface HttpRouterFactory {
        HttpRouter create(HttpRouter.Upgrader upgrader);
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ChannelPipeline p = ch.pipeline();
        if (tls != null) {
            SslHandler ssl = tls.newHandler(ch.alloc());
            ssl.setHandshakeTimeoutMillis(config.websocket().handshakeTimeout().toMillis());
            p.addLast("tls", ssl);
        }
        p.addLast("deadline", new HttpDeadlineHandler(config.websocket().handshakeTimeout().toNanos(),
                config.server().readTimeout().toNanos(), config.server().idleTimeout().toNanos()));
        // RFC 9110 leaves the limits to us: security.maxHeaderBytes bounds the request line and the header block.
        int maxHeader = config.security().maxHeaderBytes();
        p.addLast("http", new HttpServerCodec(maxHeader, maxHeader, MAX_CHUNK_BYTES));
        p.addLast("pipelining", new HttpPipeliningHandler());
        p.addLast("aggregator", new HttpObjectAggregator(config.server().maxRequestBytes()));
        p.addLast("router", router);
    }

    private void installWebSocket(ChannelPipeline p, Grants grants) {
        WebSocket ws = config.websocket();
        WebSocketSessionHandler session = new WebSocketSessionHandler(hub, commands, grants, ws.maxQueuedBytes(),
                ws.maxMessageBytes(), onWebSocketClosed, config.security().jwtClockSkew().toMillis(), counters);
        if (ws.enableCompression()) {
            // The inflater stops near the message cap, so a small compressed frame cannot expand without bound.
            p.addAfter("router", "wsCompression", new WebSocketServerCompressionHandler(
                    MessageJoiningHandler.inflaterCap(ws.maxMessageBytes(), ws.maxFrameBytes())));
            p.addAfter("wsCompression", "wsProtocol", new WebSocketServerProtocolHandler(protocol));
        } else {
            p.addAfter("router", "wsProtocol", new WebSocketServerProtocolHandler(protocol));
        }
        p.addAfter("wsProtocol", "session", session); // which joins fragmented messages itself
        // Before the protocol handler, which answers and swallows client pings: they count as activity (the
        // limit stage tells the session of every frame) and take tokens, so a ping flood is not answered.
        p.addBefore("wsProtocol", "wsLimit", new InboundLimitHandler(hub, config.security(), ws, session,
                counters, decoder));
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
                .forceCloseTimeoutMillis(WebSocketSessionHandler.CLOSE_LINGER_MILLIS)
                .decoderConfig(decoder)
                .build();
    }
}
