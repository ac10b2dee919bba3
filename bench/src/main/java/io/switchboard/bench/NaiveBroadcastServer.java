package io.switchboard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.ChannelMatchers;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http.websocketx.extensions.compression.WebSocketServerCompressionHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.switchboard.protocol.Command;
import io.switchboard.protocol.ErrorCode;
import io.switchboard.protocol.ServerMessage;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The same-stack baseline of the benchmark harness: a Netty 4.2 WebSocket server written the way the
 * examples write one. A room is a {@link ChannelGroup}; a publish encodes once and calls
 * {@code group.writeAndFlush}, which writes and flushes each member separately (one syscall per frame).
 * It speaks just enough of protocol v1 for {@code switchboard bench}: welcome, join_room, room_message
 * with offsets and acks, ping, echo. Not a product: no limits, no history, no recovery. permessage-deflate is
 * negotiated as the examples do it ({@code WebSocketServerCompressionHandler}): a client that offers it gets
 * every frame compressed by its own channel's encoder, once per recipient.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar io.switchboard.bench.NaiveBroadcastServer PORT [THREADS]}
 */
public final class NaiveBroadcastServer {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, ChannelGroup> rooms = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> offsets = new ConcurrentHashMap<>();
    private final AtomicLong connections = new AtomicLong();

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8090;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        new NaiveBroadcastServer().run(port, threads);
    }

    private void run(int port, int threads) throws InterruptedException {
        LoopbackServer.run("naive ChannelGroup server", port, threads, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel c) {
                c.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                        new WebSocketServerCompressionHandler(0),
                        new WebSocketServerProtocolHandler("/ws", null, true, 65536, false, true), new Handler());
            }
        });
    }

    private final class Handler extends SimpleChannelInboundHandler<TextWebSocketFrame> {
        private String userId = "anon";
        private String connId;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete hc) {
                String uri = hc.requestUri();
                int i = uri.indexOf("id=");
                if (i >= 0) {
                    int end = uri.indexOf('&', i);
                    userId = uri.substring(i + 3, end < 0 ? uri.length() : end);
                }
                connId = "c-naive-" + connections.incrementAndGet();
                ObjectNode w = JSON.createObjectNode().put("type", ServerMessage.Welcome.TYPE).put("connId", connId)
                        .put("userId", userId).put("content", ServerMessage.Welcome.GREETING);
                ctx.writeAndFlush(new TextWebSocketFrame(w.toString()));
            } else {
                super.userEventTriggered(ctx, evt);
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) throws Exception {
            JsonNode cmd = JSON.readTree(frame.text());
            String type = cmd.path("type").asText();
            String room = cmd.path("room").asText();
            ObjectNode reply = JSON.createObjectNode();
            switch (type) {
                case Command.JoinRoom.TYPE -> {
                    rooms.computeIfAbsent(room, r -> new DefaultChannelGroup(GlobalEventExecutor.INSTANCE))
                            .add(ctx.channel());
                    long offset = offsets.computeIfAbsent(room, r -> new AtomicLong()).get();
                    reply.put("type", ServerMessage.RoomJoined.TYPE).put("room", room).putArray("members");
                    reply.put("offset", offset).put("epoch", "naive");
                }
                case Command.RoomMessage.TYPE -> {
                    long offset = offsets.computeIfAbsent(room, r -> new AtomicLong()).incrementAndGet();
                    ObjectNode m = JSON.createObjectNode().put("type", ServerMessage.RoomMessage.TYPE).put("room", room)
                            .put("from", userId).put("connId", connId);
                    m.set("content", cmd.get("content"));
                    m.set("data", cmd.get("data"));
                    m.put("offset", offset).put("ts", System.currentTimeMillis());
                    ChannelGroup members = rooms.get(room);
                    if (members != null) {
                        String text = m.toString();
                        boolean echo = cmd.path("echo").asBoolean(false);
                        members.writeAndFlush(new TextWebSocketFrame(text),
                                echo ? ChannelMatchers.all() : ChannelMatchers.isNot(ctx.channel()));
                    }
                    if (!cmd.has("id")) {
                        return;
                    }
                    reply.put("type", ServerMessage.Ack.TYPE).put("offset", offset);
                }
                case Command.Ping.TYPE -> reply.put("type", ServerMessage.Pong.TYPE);
                case Command.Echo.TYPE -> {
                    reply.put("type", ServerMessage.EchoReply.TYPE);
                    reply.set("content", cmd.get("content"));
                    reply.set("data", cmd.get("data"));
                }
                default -> reply.put("type", ServerMessage.Error.TYPE).put("code", ErrorCode.UNKNOWN_TYPE.wireName()).put("error", "unsupported");
            }
            if (cmd.has("id")) {
                reply.set("id", cmd.get("id"));
            }
            ctx.writeAndFlush(new TextWebSocketFrame(reply.toString()));
        }
    }
}
