package io.switchboard.server.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import io.switchboard.core.command.CommandHandler;
import io.switchboard.core.config.WebSocket;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.limit.SecurityCounters;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.server.http.HttpDeadlineHandler;
import io.switchboard.server.http.HttpPipeliningHandler;
import io.switchboard.server.node.ServerInitializer;
import java.util.List;

/**
 * The pipeline of {@code AutobahnEchoServer}: the production HTTP stages in front, then the WebSocket
 * stages exactly as {@link WebSocketPipeline} installs them and {@link AfterHandshake} reshapes them, with
 * an echo instead of the session at the end.
 */
public final class AutobahnEcho {
    private AutobahnEcho() {
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

    public static void install(ChannelPipeline p, SwitchboardConfig config, Hub hub, SecurityCounters counters) {
        WebSocket ws = config.websocket();
        int maxHeader = config.security().maxHeaderBytes();
        p.addLast("deadline", new HttpDeadlineHandler(ws.handshakeTimeout().toNanos(),
                config.server().readTimeout().toNanos(), config.server().idleTimeout().toNanos()));
        p.addLast("http", new HttpServerCodec(maxHeader, maxHeader, ServerInitializer.MAX_CHUNK_BYTES));
        p.addLast("pipelining", new HttpPipeliningHandler());
        p.addLast("aggregator", new HttpObjectAggregator(config.server().maxRequestBytes()));
        WebSocketPipeline stages = new WebSocketPipeline(config, hub, new CommandHandler(hub, null), () -> { },
                counters, "aggregator", List.of("deadline"));
        stages.install(p, NO_PEER, new Echo(stages.afterHandshake(), ws.maxMessageBytes()));
    }

    /**
     * Echoes text and binary messages, joining fragmented ones as the production session does (the same base
     * class); pongs are ignored. Like the production session it has the pipeline reshaped once the handshake
     * completed and answers pings itself.
     */
    private static final class Echo extends MessageJoiningHandler {
        private final AfterHandshake afterHandshake;
        private ChannelHandlerContext ctx;

        Echo(AfterHandshake afterHandshake, int maxMessageBytes) {
            super(maxMessageBytes);
            this.afterHandshake = afterHandshake;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                afterHandshake.reshape(ctx.pipeline());
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
