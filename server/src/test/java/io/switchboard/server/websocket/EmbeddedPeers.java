package io.switchboard.server.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.switchboard.core.auth.Grants;
import io.switchboard.core.auth.RoomPatterns;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The embedded-channel scaffolding the WebSocket stage tests share. */
public final class EmbeddedPeers {
    private EmbeddedPeers() {
    }

    /**
     * The HTTP stages production puts in front of the router (a stand-in for the deadline), and a router that
     * admits every upgrade as {@code userId} with access to every room, installing {@code stages}.
     */
    static void httpStagesAdmitting(EmbeddedChannel ch, WebSocketPipeline stages, String userId) {
        ch.pipeline().addLast("deadline", new ChannelDuplexHandler());
        ch.pipeline().addLast("http", new HttpServerCodec());
        ch.pipeline().addLast("aggregator", new HttpObjectAggregator(64 * 1024));
        ch.pipeline().addLast("router", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof FullHttpRequest) {
                    stages.install(ctx.pipeline(), Grants.withoutToken(userId, RoomPatterns.of(List.of("*"))));
                }
                ctx.fireChannelRead(msg);
            }
        });
    }

    /** Everything written to the peer since the last call, as text (frame headers included); releases it. */
    public static String written(EmbeddedChannel ch) {
        StringBuilder b = new StringBuilder();
        for (ByteBuf out; (out = ch.readOutbound()) != null; ) {
            b.append(out.toString(StandardCharsets.ISO_8859_1));
            out.release();
        }
        return b.toString();
    }
}
