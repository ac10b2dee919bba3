package io.switchboard.server.node;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.switchboard.core.auth.OriginPolicy;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.server.http.CorsHandler;
import io.switchboard.server.http.HttpDeadlineHandler;
import io.switchboard.server.http.HttpPipeliningHandler;
import io.switchboard.server.http.HttpRouter;
import io.switchboard.server.sse.SseEndpoint;
import io.switchboard.server.sse.StreamCommands;
import io.switchboard.server.websocket.WebSocketPipeline;
import java.util.List;
import java.util.Set;

/**
 * Every connection's pipeline, assembled in one place. Until the upgrade:
 * {@code [tls] → deadline → http → pipelining → aggregator → cors → router}. For an admitted upgrade the router
 * hands the pipeline to {@link WebSocketPipeline}, which installs the WebSocket stages behind the router;
 * once the handshake completed, the session has {@link #HTTP_ONLY_STAGES} removed, leaving
 * {@code [tls] → wsdecoder → wsencoder → [wsCompression] → wsLimit → session}.
 */
public final class ServerInitializer extends ChannelInitializer<Channel> {
    /** Largest chunk of a request body the HTTP decoder hands on at once. */
    public static final int MAX_CHUNK_BYTES = 8192;
    static final String TLS = "tls";
    static final String DEADLINE = "deadline";
    static final String HTTP = "http";
    static final String PIPELINING = "pipelining";
    static final String AGGREGATOR = "aggregator";
    static final String CORS = "cors";
    static final String ROUTER = "router";
    /**
     * The HTTP stages the WebSocket pipeline removes after the handshake. The codec and the aggregator are
     * Netty's handshaker's to remove; the pipelining stage removes itself when the 101 response goes out.
     */
    static final List<String> HTTP_ONLY_STAGES = List.of(DEADLINE, CORS, ROUTER);

    private final SwitchboardConfig config;
    private final HttpRouter router;
    private final SslContext tls;
    private final OriginPolicy origins;
    private final Set<String> corsPaths;
    /** The browser client's files: public, so a page on an origin not allowed yet can load them and learn why. */
    private static final Set<String> CLIENT_FILES = Set.of("/switchboard.js", "/switchboard.d.ts");

    /**
     * @param router the router every connection shares
     * @param tls the TLS context; null serves plain TCP
     * @param origins who may read cross-origin answers (the upgrade guard's policy)
     */
    ServerInitializer(SwitchboardConfig config, HttpRouter router, SslContext tls, OriginPolicy origins) {
        this.config = config;
        this.origins = origins;
        // What a page on another site needs besides the client's files: the transports.
        this.corsPaths = Set.of(SseEndpoint.PATH, SseEndpoint.STREAM_PATH, StreamCommands.PATH);
        this.router = router;
        this.tls = tls;
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        if (tls != null) {
            SslHandler ssl = tls.newHandler(ch.alloc());
            ssl.setHandshakeTimeoutMillis(config.websocket().handshakeTimeout().toMillis());
            p.addLast(TLS, ssl);
        }
        p.addLast(DEADLINE, new HttpDeadlineHandler(config.websocket().handshakeTimeout().toNanos(),
                config.server().readTimeout().toNanos(), config.server().idleTimeout().toNanos()));
        // RFC 9110 leaves the limits to us: security.maxHeaderBytes bounds the request line and the header block.
        int maxHeader = config.security().maxHeaderBytes();
        p.addLast(HTTP, new HttpServerCodec(maxHeader, maxHeader, MAX_CHUNK_BYTES));
        p.addLast(PIPELINING, new HttpPipeliningHandler());
        p.addLast(AGGREGATOR, new HttpObjectAggregator(config.server().maxRequestBytes()));
        p.addLast(CORS, new CorsHandler(origins, corsPaths, CLIENT_FILES, HttpRouter.checkPath(config.websocket().path())));
        p.addLast(ROUTER, router);
    }
}
