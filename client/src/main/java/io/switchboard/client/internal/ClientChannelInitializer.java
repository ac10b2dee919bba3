package io.switchboard.client.internal;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateHandler;
import io.switchboard.client.ClientConfig;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/**
 * Assembles a client connection's pipeline, in one place:
 * {@code [ssl] → idle (dead-connection timeout) → http codec → upgrade response aggregator →
 * websocket protocol (upgrade, ping/pong, masking) → frame aggregator → ClientChannelHandler}; over HTTP
 * streaming {@code [ssl] → idle → http codec → StreamingClientHandler → ClientChannelHandler}.
 *
 * <p>Threading: {@link #initChannel} runs on the channel's event loop; instances are used once.
 */
final class ClientChannelInitializer extends ChannelInitializer<SocketChannel> {
    /** Largest upgrade response accepted: rejections carry a short plain-text body (PROTOCOL.md section 1). */
    private static final int MAX_UPGRADE_RESPONSE_BYTES = 64 * 1024;

    private final ClientConfig config;
    private final String token;
    private final Supplier<ClientChannelHandler> handlers;
    private final boolean tls;
    /** HTTP streaming instead of a WebSocket upgrade. */
    private final boolean streaming;
    private final String host;
    private final int port;

    ClientChannelInitializer(ClientConfig config, String token, Supplier<ClientChannelHandler> handlers,
                             boolean streaming) {
        this.config = config;
        this.streaming = streaming;
        this.token = token;
        this.handlers = handlers;
        this.tls = config.uri().getScheme().toLowerCase(Locale.ROOT).equals("wss");
        this.host = config.uri().getHost();
        this.port = config.uri().getPort() > 0 ? config.uri().getPort() : tls ? 443 : 80;
    }

    String host() {
        return host;
    }

    int port() {
        return port;
    }

    @Override
    protected void initChannel(SocketChannel ch) throws SSLException {
        ChannelPipeline p = ch.pipeline();
        if (tls) {
            p.addLast("ssl", Tls.context().newHandler(ch.alloc(), host, port));
        }
        p.addLast("idle", new IdleStateHandler(config.receiveTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
        p.addLast("http", new HttpClientCodec());
        if (streaming) {
            p.addLast("stream", new StreamingClientHandler(config.uri(), token, config.headers(),
                    config.maxMessageBytes(), config.maxQueuedCommands(), config.ackTimeout()));
            p.addLast("client", handlers.get());
            return;
        }
        p.addLast("upgrade-aggregator", new HttpObjectAggregator(MAX_UPGRADE_RESPONSE_BYTES));
        p.addLast("websocket", new WebSocketClientProtocolHandler(protocolConfig()));
        p.addLast("frame-aggregator", new WebSocketFrameAggregator(config.maxMessageBytes()));
        p.addLast("client", handlers.get());
    }

    private WebSocketClientProtocolConfig protocolConfig() {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (Map.Entry<String, String> h : config.headers().entrySet()) {
            headers.add(h.getKey(), h.getValue());
        }
        if (token != null && !token.isEmpty()) {
            headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
        }
        return WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(config.uri())
                .version(WebSocketVersion.V13)
                .customHeaders(headers)
                .maxFramePayloadLength(config.maxMessageBytes())
                .handshakeTimeoutMillis(config.connectTimeout().toMillis())
                // Close frames are ours to read: their status code decides about reconnecting.
                .handleCloseFrames(false)
                .sendCloseFrame(null)
                .dropPongFrames(true)
                // Not a browser: an Origin header would only trip the server's origin check.
                .generateOriginHeader(false)
                .build();
    }

    /** Client TLS context with the JDK's trust store, built on first use of {@code wss://}. */
    private static final class Tls {
        private static SslContext context;

        static synchronized SslContext context() throws SSLException {
            if (context == null) {
                context = SslContextBuilder.forClient().build();
            }
            return context;
        }
    }
}
