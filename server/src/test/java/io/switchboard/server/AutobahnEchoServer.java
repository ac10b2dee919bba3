package io.switchboard.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
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
import io.netty.util.concurrent.DefaultThreadFactory;
import io.switchboard.core.TimeSource;
import io.switchboard.core.config.WebSocket;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.limit.SecurityCounters;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.internal.Transport;
import io.switchboard.server.buffer.Buffers;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.server.websocket.AutobahnEcho;
import io.switchboard.server.websocket.PreEncodedFrame;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;

/**
 * The echo endpoint the Autobahn|Testsuite fuzzing client runs against ({@code -Pautobahn}, see
 * docs/conformance.md). Its WebSocket stages are the production ones, in the production order and
 * built by the same code ({@link AutobahnEcho}): handshake deadline, HTTP codec with the header limit,
 * and the WebSocket stages as {@code WebSocketPipeline} installs them and reshapes them after the
 * handshake; only the JSON session at the end is replaced by an echo. Limits are raised to what the
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
        s.security.rateLimitRps(1_000_000);
        s.security.rateLimitBurst(1_000_000);
        s.websocket = ws;
        s.security.allowedOrigins(List.of("*"));
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
                        AutobahnEcho.install(ch.pipeline(), config, hub, counters);
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
}
