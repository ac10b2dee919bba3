package io.switchboard.server.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.opentelemetry.api.trace.Span;
import io.switchboard.core.auth.Grants;
import io.switchboard.server.observability.LogRedaction;
import io.switchboard.server.observability.Observability;
import java.util.Base64;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes complete HTTP requests: the WebSocket path to the upgrade, {@code /health}, {@code /ready},
 * {@code /stats}, {@code /api/*}, and the browser files. Shared by every channel; stateless.
 */
@ChannelHandler.Sharable
public final class HttpRouter extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(HttpRouter.class);
    /** The one WebSocket version accepted (RFC 6455 section 4.4). */
    static final String WEBSOCKET_VERSION = "13";

    private final String wsPath;
    private final HealthEndpoint health;
    private final ApiHandler api;
    private final StaticFiles files;
    private final BiFunction<Channel, FullHttpRequest, Admission> admission;

    /**
     * Whether an upgrade may proceed: the connection's grants, or the status and text to refuse with and the
     * {@code reason} label of the rejection metric; or {@code later}, the decision a backend is still making
     * (the connect proxy), which the router awaits without holding its event loop.
     */
    public record Admission(Grants grants, HttpResponseStatus refusal, String reason, String metricReason,
                            CompletionStage<Admission> later) {
        public Admission(Grants grants, HttpResponseStatus refusal, String reason, String metricReason) {
            this(grants, refusal, reason, metricReason, null);
        }

        public static Admission accept(Grants grants) {
            return new Admission(grants, null, null, null);
        }

        /** A decision still being made; it must complete normally, with an accept or a refusal. */
        public static Admission later(CompletionStage<Admission> decision) {
            return new Admission(null, null, null, null, decision);
        }

        /** A refusal whose metrics {@code reason} label follows from the status (403 origin, 401 auth, ...). */
        public static Admission refuse(HttpResponseStatus status, String reason) {
            return new Admission(null, status, reason, labelOf(status));
        }

        /** A refusal with an explicit {@code reason} label: origin, auth, limit, draining, full, bad_request. */
        public static Admission refuse(HttpResponseStatus status, String reason, String metricReason) {
            return new Admission(null, status, reason, metricReason);
        }

        private static String labelOf(HttpResponseStatus status) {
            return switch (status.code()) {
                case 401 -> "auth";
                case 403 -> "origin";
                case 429 -> "limit";
                case 503 -> "full";
                case 400 -> "bad_request";
                default -> "other";
            };
        }
    }

    /** Installs the WebSocket stages behind the router for an admitted upgrade. */
    public interface Upgrader {
        void install(ChannelPipeline pipeline, Grants grants);
    }

    private final Upgrader upgrader;
    private final Observability observability;
    private final MetricsEndpoint metrics;

    /**
     * @param admission decides an upgrade request (the upgrade guard)
     * @param upgrader installs the WebSocket stages for an admitted upgrade
     */
    public HttpRouter(String wsPath, HealthEndpoint health, ApiHandler api, StaticFiles files,
                      BiFunction<Channel, FullHttpRequest, Admission> admission, Upgrader upgrader,
                      Observability observability, MetricsEndpoint metrics) {
        this.observability = observability;
        this.metrics = metrics;
        this.wsPath = wsPath;
        this.health = health;
        this.api = api;
        this.files = files;
        this.admission = admission;
        this.upgrader = upgrader;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (!req.decoderResult().isSuccess()) {
            Throwable cause = req.decoderResult().cause();
            if (cause instanceof TooLongHttpHeaderException) {
                log.info("refused request from {}: headers larger than security.maxHeaderBytes",
                        ctx.channel().remoteAddress());
                HttpResponses.textAndClose(ctx, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                        "request headers too large");
            } else if (cause instanceof TooLongHttpLineException) {
                log.info("refused request from {}: request line larger than security.maxHeaderBytes",
                        ctx.channel().remoteAddress());
                HttpResponses.textAndClose(ctx, HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line too long");
            } else {
                HttpResponses.textAndClose(ctx, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request");
            }
            return;
        }
        String path = HttpRequests.decodedPath(req);
        if (path == null) {
            HttpResponses.textAndClose(ctx, HttpResponseStatus.BAD_REQUEST,
                    "malformed percent-encoding in the request target");
            return;
        }
        if (path.equals(wsPath)) {
            upgrade(ctx, req);
            return;
        }
        if (req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
            // A client with the wrong path learns the right one, instead of the demo page or a bare 404.
            HttpResponses.textAndClose(ctx, HttpResponseStatus.NOT_FOUND,
                    "no WebSocket endpoint here: the WebSocket endpoint is " + wsPath);
            return;
        }
        HttpDeadlineHandler deadline = ctx.pipeline().get(HttpDeadlineHandler.class);
        if (deadline != null) {
            deadline.requestComplete();
        }
        boolean get = req.method().equals(HttpMethod.GET) || req.method().equals(HttpMethod.HEAD);
        if (path.startsWith("/api/")) {
            api.handle(ctx, req, path);
        } else if (get && path.equals("/health")) {
            health.health(ctx, req);
        } else if (get && path.equals("/ready")) {
            health.ready(ctx, req);
        } else if (get && path.equals("/stats")) {
            health.stats(ctx, req);
        } else if (get && metrics.onMainPort(path)) {
            metrics.scrape(ctx, req);
        } else if (!get || !files.serve(ctx, req, path)) {
            HttpResponses.text(ctx, req, HttpResponseStatus.NOT_FOUND, "not found");
        }
    }

    /** RFC 6455 4.2.1: the key is the base64 encoding of 16 bytes (24 characters). */
    static boolean validKey(String key) {
        if (key == null || key.length() != 24) {
            return false;
        }
        try {
            return Base64.getDecoder().decode(key).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private void upgrade(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (!req.method().equals(HttpMethod.GET)
                || !req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
            HttpResponses.textAndClose(ctx, HttpResponseStatus.BAD_REQUEST,
                    "expected a WebSocket upgrade (GET with Upgrade: websocket)");
            return;
        }
        String version = req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION);
        if (!WEBSOCKET_VERSION.equals(version)) {
            // Netty's handshaker factory also speaks the drafts 0 (no header), 7 and 8: RFC 6455 only here.
            log.info("refused upgrade from {}: Sec-WebSocket-Version {} (only {})", ctx.channel().remoteAddress(),
                    version == null ? "missing" : version.length() > 16 ? version.substring(0, 16) + "..." : version,
                    WEBSOCKET_VERSION);
            observability.upgradeRefused(null, "bad_request", "unsupported WebSocket version");
            HttpResponses.textAndClose(ctx, HttpResponseStatus.UPGRADE_REQUIRED,
                    "only WebSocket version " + WEBSOCKET_VERSION + " (RFC 6455) is supported",
                    HttpHeaderNames.SEC_WEBSOCKET_VERSION, WEBSOCKET_VERSION);
            return;
        }
        if (!validKey(req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_KEY))) {
            observability.upgradeRefused(null, "bad_request", "invalid Sec-WebSocket-Key");
            HttpResponses.textAndClose(ctx, HttpResponseStatus.BAD_REQUEST,
                    "Sec-WebSocket-Key must be 16 random bytes in base64 (RFC 6455 section 4.1)");
            return;
        }
        Span span = observability.upgradeStarted(ctx, req);
        Admission a = admission.apply(ctx.channel(), req);
        if (a.later() != null) {
            req.retain(); // held until the decision
            a.later().whenComplete((decided, e) -> {
                Runnable finish = () -> {
                    try {
                        if (ctx.channel().isActive()) {
                            decided(ctx, req, span, e == null ? decided : Admission.refuse(
                                    HttpResponseStatus.SERVICE_UNAVAILABLE, "admission failed, retry later", "other"));
                        }
                    } finally {
                        req.release();
                    }
                };
                // A decision made on this channel's loop is acted on in the same task, before anything else
                // (a close) can run between the two.
                if (ctx.executor().inEventLoop()) {
                    finish.run();
                } else {
                    try {
                        ctx.executor().execute(finish);
                    } catch (java.util.concurrent.RejectedExecutionException stopping) {
                        req.release();
                    }
                }
            });
            return;
        }
        decided(ctx, req, span, a);
    }

    private void decided(ChannelHandlerContext ctx, FullHttpRequest req, Span span, Admission a) {
        if (a.refusal() != null) {
            log.atInfo().addKeyValue("remote", ctx.channel().remoteAddress())
                    .addKeyValue("uri", LogRedaction.uri(req.uri())).addKeyValue("reason", a.metricReason())
                    .log("refused upgrade from {}: {}", ctx.channel().remoteAddress(), a.reason());
            observability.upgradeRefused(span, a.metricReason(), a.reason());
            HttpResponses.textAndClose(ctx, a.refusal(), a.reason());
            return;
        }
        upgrader.install(ctx.pipeline(), a.grants());
        ctx.fireChannelRead(req.retain());
        observability.upgradeAdmitted(span, a.grants().userId());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("HTTP connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
