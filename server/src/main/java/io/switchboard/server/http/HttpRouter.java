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
import io.switchboard.protocol.JsonCodec;
import io.switchboard.server.observability.LogRedaction;
import io.switchboard.server.observability.Observability;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes complete HTTP requests: the WebSocket path to the upgrade, its check ({@code /ws/check}), {@code /health}, {@code /ready},
 * {@code /stats}, {@code /api/*}, and the browser files. Shared by every channel; stateless.
 */
@ChannelHandler.Sharable
public final class HttpRouter extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(HttpRouter.class);
    /** The one WebSocket version accepted (RFC 6455 section 4.4). */
    static final String WEBSOCKET_VERSION = "13";
    /** Appended to the WebSocket path: the upgrade check ({@link #checkPath}). */
    static final String CHECK_SUFFIX = "/check";

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

    /**
     * Opens a long-lived HTTP response (an event stream) for a request admitted like an upgrade; owns the
     * connection from then on. Called on the channel's event loop.
     */
    public interface StreamOpener {
        void open(ChannelHandlerContext ctx, FullHttpRequest req, Grants grants);
    }

    /** Answers a complete request of an endpoint that lives outside this package (any method). */
    public interface Endpoint {
        void handle(ChannelHandlerContext ctx, FullHttpRequest req);
    }

    private final Upgrader upgrader;
    private final Observability observability;
    private final MetricsEndpoint metrics;
    private final BiFunction<Channel, FullHttpRequest, Admission> check;
    private final Map<String, StreamOpener> streams;
    private final Map<String, Endpoint> endpoints;
    private final JsonCodec json = new JsonCodec();
    /** Null unless the console is served on this port. */
    private final AdminConsole admin;

    /**
     * @param admission decides an upgrade request (the upgrade guard)
     * @param check what {@code admission} would decide, taking no slot (the upgrade check)
     * @param upgrader installs the WebSocket stages for an admitted upgrade
     * @param streams the event-stream endpoints by path, admitted like an upgrade
     * @param endpoints other endpoints by path (the commands of HTTP streaming sessions)
     */
    public HttpRouter(String wsPath, HealthEndpoint health, ApiHandler api, StaticFiles files,
                      BiFunction<Channel, FullHttpRequest, Admission> admission,
                      BiFunction<Channel, FullHttpRequest, Admission> check, Upgrader upgrader,
                      Map<String, StreamOpener> streams, Map<String, Endpoint> endpoints, Observability observability,
                      MetricsEndpoint metrics) {
        this(wsPath, health, api, files, admission, check, upgrader, streams, endpoints, observability, metrics, null);
    }

    /** @param admin the admin console when this port serves it, else null */
    public HttpRouter(String wsPath, HealthEndpoint health, ApiHandler api, StaticFiles files,
                      BiFunction<Channel, FullHttpRequest, Admission> admission,
                      BiFunction<Channel, FullHttpRequest, Admission> check, Upgrader upgrader,
                      Map<String, StreamOpener> streams, Map<String, Endpoint> endpoints, Observability observability,
                      MetricsEndpoint metrics, AdminConsole admin) {
        this.admin = admin;
        this.check = check;
        this.streams = streams;
        this.endpoints = endpoints;
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
        StreamOpener stream = streams.get(path);
        Endpoint endpoint = endpoints.get(path);
        if (stream != null && req.method().equals(HttpMethod.GET)) {
            stream(ctx, req, stream);
        } else if (endpoint != null) {
            endpoint.handle(ctx, req);
        } else if (get && path.equals(checkPath(wsPath))) {
            check(ctx, req);
        } else if (path.startsWith("/api/")) {
            api.handle(ctx, req, path);
        } else if (get && path.equals("/health")) {
            health.health(ctx, req);
        } else if (get && path.equals("/ready")) {
            health.ready(ctx, req);
        } else if (get && path.equals("/stats")) {
            health.stats(ctx, req);
        } else if (get && metrics.onMainPort(path)) {
            metrics.scrape(ctx, req);
        } else if (get && admin != null && admin.serves(path)) {
            admin.serve(ctx, req, path);
        } else if (!get || !files.serve(ctx, req, path)) {
            HttpResponses.text(ctx, req, HttpResponseStatus.NOT_FOUND, "not found");
        }
    }

    /** The upgrade check of the WebSocket endpoint at {@code wsPath}. */
    public static String checkPath(String wsPath) {
        return wsPath + CHECK_SUFFIX;
    }

    /**
     * Answers what an upgrade with this request's origin and credentials would get, as JSON: a browser sees
     * only close 1006 for a refused upgrade and cannot read its body, so its client asks here once.
     */
    private void check(ChannelHandlerContext ctx, FullHttpRequest req) {
        Admission a = check.apply(ctx.channel(), req);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("admitted", a.refusal() == null);
        if (a.refusal() != null) {
            int status = a.refusal().code();
            body.put("status", status);
            body.put("reason", a.reason());
            // Busy or limited: later may work. Origin, credential, bad id: not until someone changes them.
            body.put("retry", status == 429 || status == 503);
            log.atInfo().addKeyValue("remote", ctx.channel().remoteAddress())
                    .addKeyValue("uri", LogRedaction.uri(req.uri())).addKeyValue("reason", a.metricReason())
                    .log("upgrade check from {}: would be refused: {}", ctx.channel().remoteAddress(), a.reason());
        }
        HttpResponses.json(ctx, req, HttpResponseStatus.OK, json.encodeValue(body));
    }

    /** An event stream: the door of an upgrade (origin, credentials, caps), then the stream's own endpoint. */
    private void stream(ChannelHandlerContext ctx, FullHttpRequest req, StreamOpener stream) {
        Admission a = admission.apply(ctx.channel(), req);
        if (a.refusal() != null) {
            log.atInfo().addKeyValue("remote", ctx.channel().remoteAddress())
                    .addKeyValue("uri", LogRedaction.uri(req.uri())).addKeyValue("reason", a.metricReason())
                    .log("refused stream from {}: {}", ctx.channel().remoteAddress(), a.reason());
            observability.upgradeRefused(null, a.metricReason(), a.reason());
            HttpResponses.textAndClose(ctx, a.refusal(), a.reason());
            return;
        }
        stream.open(ctx, req, a.grants());
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
