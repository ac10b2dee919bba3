package io.switchboard.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http.websocketx.extensions.compression.WebSocketServerCompressionHandler;
import io.netty.util.ReferenceCountUtil;
import io.switchboard.core.TimeSource;
import io.switchboard.core.config.WebSocket;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.limit.SecurityCounters;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.internal.Transport;
import io.switchboard.server.config.SwitchboardConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;

/**
 * The echo endpoint the Autobahn|Testsuite fuzzing client runs against ({@code -Pautobahn}, see
 * docs/conformance.md). Its WebSocket stages are the production ones, in the production order and
 * built by the same code: handshake deadline, HTTP codec with the header limit, permessage-deflate
 * with the inflation cap, the protocol handler and decoder settings of {@link ServerInitializer},
 * {@link InboundLimitHandler} (which swaps in {@link CloseFrameCheckingDecoder}), the message
 * aggregator; only the JSON session at the end is replaced by an echo. Limits are raised to what the
 * suite sends (16 MiB messages, thousands of messages a second), as an operator would configure them.
 */
public final class AutobahnEchoServer {
    static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

    private AutobahnEchoServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        WebSocket ws = WebSocket.builder().path("/").maxConnections(10_000).maxFrameBytes(MAX_MESSAGE_BYTES)
                .maxMessageBytes(MAX_MESSAGE_BYTES).maxQueuedBytes(1024 * 1024 * 1024).enableCompression(true)
                .maxFragmentsPerMessage(1_000_000).messageAssemblyTimeout(Duration.ofSeconds(60)).build();
        SecureServers s = new SecureServers();
        s.rateLimitRps = 1_000_000;
        s.rateLimitBurst = 1_000_000;
        s.websocket = ws;
        s.allowedOrigins = List.of("*");
        SwitchboardConfig config = s.config();
        Hub hub = new Hub(config.core(), new MemoryHistoryStore(10, Duration.ofMinutes(1), TimeSource.SYSTEM),
                PreEncodedFrame.factory(Buffers.ALLOCATOR), new JsonCodec(), TimeSource.SYSTEM, "ab", "ab");
        SecurityCounters counters = new SecurityCounters();
        MultiThreadIoEventLoopGroup group = Transport.NIO.newGroup(2, "autobahn");
        // The production buffer pool too: the suite's 16 MiB messages are larger than its chunks.
        Channel server = new ServerBootstrap().group(group).channel(Transport.NIO.serverChannel())
                .childOption(ChannelOption.ALLOCATOR, Buffers.ALLOCATOR)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        install(ch.pipeline(), config, hub, counters);
                    }
                }).bind(host(), port).sync().channel();
        server.closeFuture().sync();
    }

    /** The address the plugin connects to: the local host's, like its own lookup. */
    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostAddress();
        } catch (UnknownHostException e) {
            return "127.0.0.1";
        }
    }

    /** No hub connection behind the echo: nothing to record activity on. */
    private static final InboundLimitHandler.Peer NO_PEER = new InboundLimitHandler.Peer() {
        @Override
        public io.switchboard.core.hub.Connection connection() {
            return null;
        }

        @Override
        public void frameArrived(WebSocketFrame frame) {
        }

        @Override
        public void messageDropped() {
        }
    };

    static void install(ChannelPipeline p, SwitchboardConfig config, Hub hub, SecurityCounters counters) {
        WebSocket ws = config.websocket();
        int maxHeader = config.security().maxHeaderBytes();
        p.addLast("deadline", new HttpDeadlineHandler(ws.handshakeTimeout().toNanos(),
                config.server().readTimeout().toNanos(), config.server().idleTimeout().toNanos()));
        p.addLast("http", new HttpServerCodec(maxHeader, maxHeader, ServerInitializer.MAX_CHUNK_BYTES));
        p.addLast("pipelining", new HttpPipeliningHandler());
        p.addLast("aggregator", new HttpObjectAggregator(config.server().maxRequestBytes()));
        p.addLast("wsCompression", new WebSocketServerCompressionHandler(
                MessageJoiningHandler.inflaterCap(ws.maxMessageBytes(), ws.maxFrameBytes())));
        WebSocketDecoderConfig decoder = ServerInitializer.decoderConfig(ws);
        p.addLast("wsProtocol", new WebSocketServerProtocolHandler(ServerInitializer.protocolConfig(ws, decoder)));
        p.addBefore("wsProtocol", "wsLimit", new InboundLimitHandler(hub, config.security(), ws, NO_PEER,
                counters, decoder));
        p.addLast("echo", new Echo(ws.maxMessageBytes()));
    }

    /**
     * Echoes text and binary messages, joining fragmented ones as the production session does (the same base
     * class); pongs are ignored. Like the production session it removes the protocol handler once the
     * handshake completed and answers pings itself.
     */
    private static final class Echo extends MessageJoiningHandler {
        private ChannelHandlerContext ctx;

        Echo(int maxMessageBytes) {
            super(maxMessageBytes);
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                ctx.pipeline().remove(HttpDeadlineHandler.class);
                ctx.pipeline().remove(WebSocketServerProtocolHandler.class);
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof WebSocketFrame frame && (msg instanceof TextWebSocketFrame
                    || msg instanceof BinaryWebSocketFrame || msg instanceof ContinuationWebSocketFrame)) {
                try {
                    dataFrame(ctx, frame);
                } finally {
                    frame.release();
                }
            } else if (msg instanceof PingWebSocketFrame ping) {
                ctx.writeAndFlush(new PongWebSocketFrame(ping.content()));
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        void onMessage(ChannelHandlerContext ctx, boolean text, ByteBuf content) {
            content.retain();
            ctx.writeAndFlush(text ? new TextWebSocketFrame(content) : new BinaryWebSocketFrame(content));
        }

        @Override
        void messageTooBig() {
            ctx.writeAndFlush(new CloseWebSocketFrame(1009, "message too big"));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
