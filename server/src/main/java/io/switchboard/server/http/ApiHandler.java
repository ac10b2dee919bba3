package io.switchboard.server.http;

import static io.switchboard.server.http.ApiError.fromHub;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.switchboard.core.HubException;
import io.switchboard.core.cluster.NodeRegistry;
import io.switchboard.core.hub.Hub;
import io.switchboard.protocol.ErrorCode;
import io.switchboard.protocol.ProtocolException;
import io.switchboard.server.observability.Observability;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The backend API of PROTOCOL.md section 8: JSON in and out, an API key on every call. Routes by a table of
 * paths (the OpenAPI document at {@code /api/openapi.json} describes exactly that table); the commands are
 * {@link ApiCommands}', the reads {@link ApiQueries}'. Thread-safe; runs on the event loop of the HTTP
 * connection and only calls thread-safe hub methods.
 */
public final class ApiHandler {
    private static final String ROOM_PATH = "/api/rooms/";
    /** The OpenAPI 3 document, a resource kept next to this class. */
    static final byte[] OPENAPI = readOpenApi();

    private final Hub hub;
    private final List<byte[]> keys;
    /** {@code websocket.maxMessageBytes}: a message sent through the API is held to the clients' cap. */
    private final int maxMessageBytes;
    private final ApiKeyThrottle throttle;
    private final Observability observability;
    private final ApiCommands commands;
    private final ApiQueries queries;
    private final ApiBatch batch;
    private final Map<String, Route> routes;
    /** The admin console's views; null for none. */
    private final AdminApi admin;

    public ApiHandler(Hub hub, List<String> keys, int maxMessageBytes, ApiKeyThrottle throttle, Observability observability) {
        this(hub, keys, maxMessageBytes, throttle, observability, null);
    }

    /** @param admin the operators' views ({@code /api/nodes}, {@code /api/connections}, {@code /api/config}, …); null for none */
    public ApiHandler(Hub hub, List<String> keys, int maxMessageBytes, ApiKeyThrottle throttle, Observability observability,
                      AdminApi admin) {
        this(hub, keys, maxMessageBytes, throttle, observability, admin, null);
    }

    /**
     * @param admin the operators' views; null for none
     * @param registry the cluster's nodes, for {@code /api/rooms} cluster-wide; null lists this node's rooms alone
     */
    public ApiHandler(Hub hub, List<String> keys, int maxMessageBytes, ApiKeyThrottle throttle, Observability observability,
                      AdminApi admin, NodeRegistry registry) {
        this.admin = admin;
        this.hub = hub;
        this.keys = keys.stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
        this.maxMessageBytes = maxMessageBytes;
        this.throttle = throttle;
        this.observability = observability;
        this.commands = new ApiCommands(hub);
        this.queries = new ApiQueries(hub, registry);
        this.batch = new ApiBatch(commands, hub.codec(), maxMessageBytes);
        this.routes = routes();
    }

    /** One endpoint: what it does with a request; a result, a stage of one, or raw JSON bytes. */
    @FunctionalInterface
    private interface Endpoint {
        Object handle(FullHttpRequest req) throws ApiError;
    }

    /** An endpoint and the one method it answers. */
    private record Route(HttpMethod method, Endpoint endpoint) {
    }

    private Map<String, Route> routes() {
        Map<String, Route> r = new LinkedHashMap<>();
        r.put("/api/publish", new Route(HttpMethod.POST, req -> commands.publish(messageBody(req))));
        r.put("/api/broadcast", new Route(HttpMethod.POST, req -> commands.broadcast(messageBody(req))));
        r.put("/api/private", new Route(HttpMethod.POST, req -> commands.sendPrivate(messageBody(req))));
        r.put("/api/disconnect", new Route(HttpMethod.POST, req -> commands.disconnect(body(req))));
        r.put("/api/subscribe", new Route(HttpMethod.POST, req -> commands.subscribe(body(req))));
        r.put("/api/unsubscribe", new Route(HttpMethod.POST, req -> commands.unsubscribe(body(req))));
        r.put("/api/batch", new Route(HttpMethod.POST, req -> batch.run(body(req))));
        r.put("/api/history", new Route(HttpMethod.GET, req -> queries.history(params(req))));
        r.put("/api/presence", new Route(HttpMethod.GET, req -> queries.presence(params(req))));
        r.put("/api/rooms", new Route(HttpMethod.GET, req -> queries.rooms(params(req))));
        r.put("/api/openapi.json", new Route(HttpMethod.GET, req -> OPENAPI));
        return r;
    }

    /** The paths and methods served, spelled as the OpenAPI document spells them ({@code /api/rooms/{room}}). */
    Map<String, HttpMethod> endpoints() {
        Map<String, HttpMethod> out = new LinkedHashMap<>();
        routes.forEach((path, route) -> out.put(path, route.method()));
        out.put(ROOM_PATH + "{room}", HttpMethod.GET);
        if (admin != null) {
            for (String path : AdminApi.PATHS) {
                out.put(path, HttpMethod.GET);
            }
        }
        return out;
    }

    void handle(ChannelHandlerContext ctx, FullHttpRequest req, String path) {
        Object body;
        try {
            authorize(ctx, req);
            body = route(req, path);
        } catch (ApiError e) {
            answerError(ctx, req, e);
            return;
        }
        if (body instanceof byte[] json) {
            HttpResponses.json(ctx, req, HttpResponseStatus.OK, json);
            return;
        }
        if (!(body instanceof CompletionStage<?> pending)) {
            HttpResponses.json(ctx, req, HttpResponseStatus.OK, hub.codec().encodeValue(body));
            return;
        }
        // A call to a remote store: answer when it completes, on the connection's own loop.
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        pending.whenComplete((value, error) -> HttpResponses.later(ctx, () -> {
            if (error == null) {
                HttpResponses.json(ctx, keepAlive, HttpResponseStatus.OK, hub.codec().encodeValue(value));
            } else {
                answerError(ctx, keepAlive, fromHub(Hub.unavailable(path, error)));
            }
        }));
    }

    private Object route(FullHttpRequest req, String path) throws ApiError {
        Route route = routes.get(path);
        if (route == null && path.startsWith(ROOM_PATH)) {
            requireMethod(req.method(), HttpMethod.GET);
            return queries.room(path.substring(ROOM_PATH.length())); // the router decoded it
        }
        if (route == null && admin != null && AdminApi.routes(path)) {
            requireMethod(req.method(), HttpMethod.GET);
            try {
                return admin.get(req, path);
            } catch (IllegalArgumentException e) {
                throw ApiError.badField(e.getMessage());
            } catch (HubException e) {
                throw fromHub(e);
            }
        }
        if (route == null) {
            throw new ApiError(HttpResponseStatus.NOT_FOUND, "not_found", "no such endpoint: " + path);
        }
        requireMethod(req.method(), route.method());
        return route.endpoint().handle(req);
    }

    private static ApiQueries.Params params(FullHttpRequest req) {
        return new ApiQueries.Params(new QueryStringDecoder(req.uri()).parameters());
    }

    private void answerError(ChannelHandlerContext ctx, FullHttpRequest req, ApiError e) {
        answerError(ctx, HttpUtil.isKeepAlive(req), e);
    }

    private void answerError(ChannelHandlerContext ctx, boolean keepAlive, ApiError e) {
        Map<String, String> error = new LinkedHashMap<>();
        error.put("error", e.code);
        error.put("message", e.getMessage());
        byte[] body = hub.codec().encodeValue(error);
        if (e.retryAfterSeconds > 0) {
            HttpResponses.send(ctx, keepAlive, e.status, HttpResponses.JSON, Unpooled.wrappedBuffer(body),
                    HttpHeaderNames.RETRY_AFTER, Long.toString(e.retryAfterSeconds));
        } else {
            HttpResponses.json(ctx, keepAlive, e.status, body);
        }
    }

    /** Checks the key, unless the address failed too often lately: then 429 without a look at the key. */
    private void authorize(ChannelHandlerContext ctx, FullHttpRequest req) throws ApiError {
        if (keys.isEmpty()) {
            throw new ApiError(HttpResponseStatus.UNAUTHORIZED, "unauthorized",
                    "no API keys are configured (api.keys)");
        }
        String ip = HttpRequests.ip(ctx.channel());
        long retryAfter = throttle.retryAfterSeconds(ip);
        if (retryAfter > 0) {
            observability.apiKeyRefused(true);
            throw new ApiError(HttpResponseStatus.TOO_MANY_REQUESTS, ErrorCode.RATE_LIMITED.wireName(),
                    "too many failed API-key checks from your address; retry after " + retryAfter + " s",
                    retryAfter);
        }
        if (keyMatches(req)) {
            throttle.succeeded(ip);
            return;
        }
        throttle.failed(ip);
        observability.apiKeyRefused(false);
        throw new ApiError(HttpResponseStatus.UNAUTHORIZED, "unauthorized", "missing or invalid API key");
    }

    private boolean keyMatches(FullHttpRequest req) {
        String key = req.headers().get("X-API-Key");
        String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (key == null && auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            key = auth.substring(7).trim();
        }
        if (key != null) {
            byte[] given = key.getBytes(StandardCharsets.UTF_8);
            boolean ok = false;
            for (byte[] k : keys) {
                ok |= MessageDigest.isEqual(k, given); // constant time: no early exit on a match
            }
            return ok;
        }
        return false;
    }

    /**
     * The body of a call that sends a message: at most {@code websocket.maxMessageBytes}, as a client's
     * message frame is, so the API cannot put larger messages into rooms and histories than clients can.
     */
    private JsonNode messageBody(FullHttpRequest req) throws ApiError {
        int size = req.content().readableBytes();
        if (size > maxMessageBytes) {
            throw ApiBatch.tooLarge("body", size, maxMessageBytes);
        }
        return body(req);
    }

    private JsonNode body(FullHttpRequest req) throws ApiError {
        byte[] bytes = ByteBufUtil.getBytes(req.content());
        try {
            return hub.codec().parseObject(bytes, 0, bytes.length);
        } catch (ProtocolException e) {
            throw new ApiError(HttpResponseStatus.BAD_REQUEST, e.code().wireName(), "body must be a JSON object");
        }
    }

    private static void requireMethod(HttpMethod actual, HttpMethod expected) throws ApiError {
        if (!actual.equals(expected)) {
            throw new ApiError(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed", "use " + expected);
        }
    }

    private static byte[] readOpenApi() {
        try (InputStream in = ApiHandler.class.getResourceAsStream("openapi.json")) {
            if (in == null) {
                throw new IllegalStateException("openapi.json is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
