package io.switchboard.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http.websocketx.extensions.compression.WebSocketServerCompressionHandler;
import io.switchboard.core.CommandHandler;
import io.switchboard.core.Hub;
import io.switchboard.core.config.SwitchboardConfig;
import io.switchboard.protocol.CloseCode;

/**
 * Every connection's pipeline, assembled in one place. Until the upgrade:
 * {@code deadline → http → aggregator → router}. The router installs the WebSocket stages for an
 * admitted upgrade: {@code [compression] → wsProtocol → wsActivity → wsAggregator → session}; once
 * the handshake completes the HTTP-only stages are removed.
 */
final class ServerInitializer extends ChannelInitializer<SocketChannel> {
    /** RFC 7230 leaves the limits to us; these match common servers and keep header floods small. */
    static final int MAX_INITIAL_LINE_BYTES = 4096;
    static final int MAX_HEADER_BYTES = 8192;

    private final SwitchboardConfig config;
    private final Hub hub;
    private final CommandHandler commands;
    private final HttpRouter router;
    private final Runnable onWebSocketClosed;

    ServerInitializer(SwitchboardConfig config, Hub hub, HttpRouterFactory routerFactory, Runnable onWebSocketClosed) {
        this.config = config;
        this.hub = hub;
        this.commands = new CommandHandler(hub);
        this.router = routerFactory.create(this::installWebSocket);
        this.onWebSocketClosed = onWebSocketClosed;
    }

    /** Builds the shared router once the initializer can hand it the upgrade installer. */
    interface HttpRouterFactory {
        HttpRouter create(HttpRouter.Upgrader upgrader);
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ChannelPipeline p = ch.pipeline();
        p.addLast("deadline", new HttpDeadlineHandler(config.websocket().handshakeTimeout().toNanos(),
                config.server().readTimeout().toNanos(), config.server().idleTimeout().toNanos()));
        p.addLast("http", new HttpServerCodec(MAX_INITIAL_LINE_BYTES, MAX_HEADER_BYTES, 8192));
        p.addLast("aggregator", new HttpObjectAggregator(config.server().maxRequestBytes()));
        p.addLast("router", router);
    }

    private void installWebSocket(ChannelPipeline p, String userId) {
        SwitchboardConfig.WebSocket ws = config.websocket();
        WebSocketServerProtocolConfig protocol = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(ws.path())
                .checkStartsWith(true)
                .handleCloseFrames(false) // the session answers closes: exactly one close frame each way
                // A close without a close frame of ours (server stop, deadline) says 1001 "going away", which
                // tells clients to reconnect; Netty's default, 1000, would tell them to stay away.
                .sendCloseFrame(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE)
                .dropPongFrames(false)
                .handshakeTimeoutMillis(ws.handshakeTimeout().toMillis())
                .forceCloseTimeoutMillis(WebSocketSessionHandler.CLOSE_LINGER_MILLIS)
                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(ws.maxFrameBytes())
                        .allowExtensions(ws.enableCompression())
                        .closeOnProtocolViolation(true)
                        .withUTF8Validator(true)
                        .build())
                .build();
        WebSocketSessionHandler session = new WebSocketSessionHandler(hub, commands, userId, ws.maxQueuedBytes(),
                onWebSocketClosed);
        if (ws.enableCompression()) {
            // The inflater stops at the message cap, so a small compressed frame cannot expand without bound.
            p.addAfter("router", "wsCompression", new WebSocketServerCompressionHandler(ws.maxMessageBytes()));
            p.addAfter("wsCompression", "wsProtocol", new WebSocketServerProtocolHandler(protocol));
        } else {
            p.addAfter("router", "wsProtocol", new WebSocketServerProtocolHandler(protocol));
        }
        p.addAfter("wsProtocol", "wsAggregator", new MessageSizeLimit(ws.maxMessageBytes(), session));
        p.addAfter("wsAggregator", "session", session);
        // Before the protocol handler, which answers and swallows client pings: they count as activity too.
        p.addBefore("wsProtocol", "wsActivity", session.activityTracker());
    }

    /** Joins fragments up to {@code websocket.maxMessageBytes}; beyond it closes with 1009 (RFC 6455 section 7.4.1). */
    private static final class MessageSizeLimit extends WebSocketFrameAggregator {
        private final WebSocketSessionHandler session;

        MessageSizeLimit(int maxMessageBytes, WebSocketSessionHandler session) {
            super(maxMessageBytes);
            this.session = session;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx,
                                              io.netty.handler.codec.http.websocketx.WebSocketFrame oversized) {
            session.metricsTransportError("message_too_big");
            session.closeForViolation(CloseCode.MESSAGE_TOO_BIG, "message too big");
        }
    }
}
