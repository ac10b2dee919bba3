package io.switchboard.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.internal.Transport;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * A minimal WebSocket peer for client tests that need behaviour a correct server never shows on
 * cue (silence, a chosen close code, a missing ack). Sends {@code welcome} on every upgrade,
 * records every command, and hands each to a replaceable script. The default script answers
 * {@code join_room} and acks {@code room_message} with increasing offsets.
 *
 * <p>Thread-safe; scripts run on the connection's event loop.
 */
final class ScriptedServer implements AutoCloseable {
    static final ObjectMapper JSON = new JsonCodec().mapper();

    final BlockingQueue<JsonNode> received = new LinkedBlockingQueue<>();
    final List<Channel> connections = new CopyOnWriteArrayList<>();
    final AtomicInteger upgrades = new AtomicInteger();
    /** The Authorization header of each upgrade, in order ("" when absent). */
    final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final AtomicInteger offset = new AtomicInteger();
    private final EventLoopGroup group = Transport.NIO.newGroup(1, "scripted-server");
    private final Channel server;
    volatile BiConsumer<Channel, JsonNode> script = this::standard;

    ScriptedServer() throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(Transport.NIO.serverChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                                new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                                        .websocketPath("/ws").checkStartsWith(true).sendCloseFrame(null).build()),
                                new Handler());
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    String url(String user) {
        return "ws://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort() + "/ws?id=" + user;
    }

    static void send(Channel ch, ObjectNode message) {
        ch.writeAndFlush(new TextWebSocketFrame(message.toString()));
    }

    static ObjectNode message(String type) {
        return JSON.createObjectNode().put("type", type);
    }

    /** Sends a close frame with the code to every open connection, then closes them. */
    void closeAll(int code, String reason) {
        for (Channel ch : connections) {
            ch.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Drops every connection without a close frame (a lost network). */
    void dropAll() {
        for (Channel ch : connections) {
            ch.close();
        }
    }

    private void standard(Channel ch, JsonNode cmd) {
        String type = cmd.path("type").asText();
        if (type.equals("join_room")) {
            ObjectNode reply = message("room_joined").put("room", cmd.path("room").asText());
            reply.set("id", cmd.get("id"));
            reply.putArray("members");
            reply.put("offset", offset.get()).put("epoch", "e1");
            if (cmd.has("since")) {
                reply.put("recovered", true);
            }
            send(ch, reply);
        } else if (type.equals("room_message") && cmd.has("id")) {
            ObjectNode reply = message("ack");
            reply.set("id", cmd.get("id"));
            reply.put("offset", offset.incrementAndGet());
            send(ch, reply);
        }
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        for (Channel ch : connections) {
            ch.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Handler extends SimpleChannelInboundHandler<WebSocketFrame> {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete hs) {
                String auth = hs.requestHeaders().get("Authorization");
                authorizations.add(auth == null ? "" : auth);
                connections.add(ctx.channel());
                upgrades.incrementAndGet();
                send(ctx.channel(), message("welcome").put("connId", "c-" + upgrades.get()).put("userId", "u")
                        .put("content", "Connected to WebSocket server"));
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) throws Exception {
            if (frame instanceof TextWebSocketFrame text) {
                JsonNode cmd = JSON.readTree(text.text());
                received.add(cmd);
                script.accept(ctx.channel(), cmd);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            connections.remove(ctx.channel());
            super.channelInactive(ctx);
        }
    }
}
