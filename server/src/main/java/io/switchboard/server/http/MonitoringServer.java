package io.switchboard.server.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.switchboard.protocol.internal.Transport;

/**
 * The listener on {@code monitoring.port}: the metrics path, {@code /health} and {@code /ready}, nothing
 * else (no WebSocket, no API), so it can be exposed to scrapers and probes on another network than
 * clients. With the admin console enabled it serves the console and the API the console calls too, so an
 * operator reaches the console on the operators' network. Shares the server's event loops.
 */
public final class MonitoringServer {
    private MonitoringServer() {
    }

    /** Scrapers send short requests: small fixed limits (RFC 7230 leaves them to the server). */
    private static final int MAX_INITIAL_LINE_BYTES = 4096;
    private static final int MAX_HEADER_BYTES = 8192;
    /** Scrapes and probes send no body. */
    private static final int MAX_SCRAPE_BODY_BYTES = 64 * 1024;
    /** The console's API calls carry one message at most; the API holds it to websocket.maxMessageBytes. */
    private static final int MAX_API_BODY_BYTES = 1024 * 1024;

    /** Binds the listener on {@code host:port} and returns its channel once it listens. */
    public static Channel bind(EventLoopGroup boss, EventLoopGroup workers, Class<? extends ServerChannel> channelType,
                               String host, int port, MetricsEndpoint metrics, HealthEndpoint health)
            throws InterruptedException {
        return bind(boss, workers, channelType, host, port, metrics, health, null, null);
    }

    /**
     * Binds the listener, serving the admin console and the backend API besides the monitoring paths.
     *
     * @param admin the console, or null for none
     * @param api the API the console calls; null exactly when {@code admin} is
     */
    public static Channel bind(EventLoopGroup boss, EventLoopGroup workers, Class<? extends ServerChannel> channelType,
                               String host, int port, MetricsEndpoint metrics, HealthEndpoint health,
                               AdminConsole admin, ApiHandler api) throws InterruptedException {
        Router router = new Router(metrics, health, admin, api);
        return new ServerBootstrap().group(boss, workers).channel(channelType)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("http", new HttpServerCodec(MAX_INITIAL_LINE_BYTES,
                                MAX_HEADER_BYTES, 8192));
                        ch.pipeline().addLast("pipelining", new HttpPipeliningHandler());
                        ch.pipeline().addLast("aggregator", new HttpObjectAggregator(
                                admin == null ? MAX_SCRAPE_BODY_BYTES : MAX_API_BODY_BYTES));
                        ch.pipeline().addLast("router", router);
                    }
                })
                .bind(host, port).sync().channel();
    }

    /** Routes monitoring requests. Shared by every channel; stateless. */
    @ChannelHandler.Sharable
    static final class Router extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final MetricsEndpoint metrics;
        private final HealthEndpoint health;
        /** Null unless the console is served here. */
        private final AdminConsole admin;
        /** Null unless the console is served here. */
        private final ApiHandler api;

        Router(MetricsEndpoint metrics, HealthEndpoint health) {
            this(metrics, health, null, null);
        }

        Router(MetricsEndpoint metrics, HealthEndpoint health, AdminConsole admin, ApiHandler api) {
            this.metrics = metrics;
            this.health = health;
            this.admin = admin;
            this.api = api;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            String path = HttpRequests.decodedPath(req);
            boolean get = req.method().equals(HttpMethod.GET) || req.method().equals(HttpMethod.HEAD);
            if (!req.decoderResult().isSuccess() || path == null) {
                HttpResponses.textAndClose(ctx, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request");
            } else if (get && metrics.onMonitoringPort(path)) {
                metrics.scrape(ctx, req);
            } else if (get && path.equals("/health")) {
                health.health(ctx, req);
            } else if (get && path.equals("/ready")) {
                health.ready(ctx, req);
            } else if (get && admin != null && admin.serves(path)) {
                admin.serve(ctx, req, path);
            } else if (api != null && path.startsWith("/api/")) {
                api.handle(ctx, req, path);
            } else {
                HttpResponses.text(ctx, req, HttpResponseStatus.NOT_FOUND, "not found");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
