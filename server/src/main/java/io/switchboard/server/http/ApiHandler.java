package io.switchboard.server.http;

import io.switchboard.server.observability.Observability;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.switchboard.core.HubException;
import io.switchboard.core.hub.Hub;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.ErrorCode;
import io.switchboard.protocol.Names;
import io.switchboard.protocol.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * The backend API of PROTOCOL.md section 8: JSON in and out, an API key on every call. Thread-safe;
 * runs on the event loop of the HTTP connection and only calls thread-safe hub methods.
 */
public final class ApiHandler {
    /** Codes a backend may close a connection with: the table's, minus those that mean a protocol fault. */
    private static final Set<Integer> PROTOCOL_ONLY_CODES = Set.of(1002, 1003, 1007, 1009);

    private final Hub hub;
    private final List<byte[]> keys;
    /** {@code websocket.maxMessageBytes}: a message sent through the API is held to the clients' cap. */
    private final int maxMessageBytes;
    private final ApiKeyThrottle throttle;
    private final Observability observability;

    public ApiHandler(Hub hub, List<String> keys, int maxMessageBytes, ApiKeyThrottle throttle, Observability observability) {
        this.hub = hub;
        this.keys = keys.stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
        this.maxMessageBytes = maxMessageBytes;
        this.throttle = throttle;
        this.observability = observability;
    }

    /** Thrown by field readers; becomes a 400 (or the given status) with {@code {"error","message"}}. */
    private static final class ApiError extends Exception {
        private static final long serialVersionUID = 1L;
        final HttpResponseStatus status;
        final String code;
        /** The {@code Retry-After} of a 429, or 0 for none. */
        final long retryAfterSeconds;

        ApiError(HttpResponseStatus status, String code, String message) {
            this(status, code, message, 0);
        }

        ApiError(HttpResponseStatus status, String code, String message, long retryAfterSeconds) {
            super(message, null, false, false);
            this.status = status;
            this.code = code;
            this.retryAfterSeconds = retryAfterSeconds;
        }
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

    private Object route(FullHttpRequest req, String path) throws ApiError {
        HttpMethod method = req.method();
        switch (path) {
            case "/api/publish":
                requireMethod(method, HttpMethod.POST);
                return publish(messageBody(req));
            case "/api/broadcast":
                requireMethod(method, HttpMethod.POST);
                return broadcast(messageBody(req));
            case "/api/private":
                requireMethod(method, HttpMethod.POST);
                return sendPrivate(messageBody(req));
            case "/api/disconnect":
                requireMethod(method, HttpMethod.POST);
                return disconnect(body(req));
            case "/api/rooms":
                requireMethod(method, HttpMethod.GET);
                return Map.of("rooms", hub.rooms());
            default:
                if (path.startsWith("/api/rooms/")) {
                    requireMethod(method, HttpMethod.GET);
                    String room = path.substring("/api/rooms/".length()); // the router decoded it
                    if (!Names.isValidRoom(room)) {
                        throw badField("room must match [A-Za-z0-9_.:@/-]{1,128}");
                    }
                    try {
                        return hub.roomInfo(room);
                    } catch (HubException e) {
                        throw fromHub(e);
                    }
                }
                throw new ApiError(HttpResponseStatus.NOT_FOUND, "not_found", "no such endpoint: " + path);
        }
    }

    private Object publish(JsonNode body) throws ApiError {
        String room = room(body);
        String content = content(body);
        JsonNode data = body.get("data");
        if (content == null && (data == null || data.isNull())) {
            throw badField("a room message needs content or data");
        }
        JsonNode key = body.get("idempotencyKey");
        if (key != null && !key.isNull() && (!key.isTextual() || !Names.isValidIdempotencyKey(key.textValue()))) {
            throw badField("idempotencyKey must be a non-empty string of at most " + Names.MAX_IDEMPOTENCY_KEY_LENGTH
                    + " characters");
        }
        try {
            return hub.publish(room, "server", content, data, key == null || key.isNull() ? null : key.textValue())
                    .thenApply(offset -> Map.of("offset", offset));
        } catch (HubException e) {
            throw fromHub(e);
        }
    }

    private Object broadcast(JsonNode body) throws ApiError {
        try {
            return hub.broadcast("server", null, content(body), body.get("data"), null)
                    .thenApply(v -> Map.of("ok", true));
        } catch (HubException e) {
            throw fromHub(e);
        }
    }

    private Object sendPrivate(JsonNode body) throws ApiError {
        JsonNode to = body.get("to");
        if (to == null || !to.isTextual() || !Names.isValidUserId(to.textValue())) {
            throw badField("to must match [A-Za-z0-9_.:@-]{1,64}");
        }
        try {
            return hub.sendPrivate("server", null, to.textValue(), content(body), body.get("data"))
                    .thenApply(n -> Map.of("delivered", n));
        } catch (HubException e) {
            throw fromHub(e);
        }
    }

    private Object disconnect(JsonNode body) throws ApiError {
        JsonNode user = body.get("userId");
        if (user == null || !user.isTextual() || !Names.isValidUserId(user.textValue())) {
            throw badField("userId must match [A-Za-z0-9_.:@-]{1,64}");
        }
        CloseCode code = CloseCode.FORBIDDEN;
        JsonNode codeNode = body.get("code");
        if (codeNode != null && !codeNode.isNull()) {
            code = codeNode.canConvertToInt() && codeNode.isIntegralNumber() ? CloseCode.of(codeNode.intValue()) : null;
            if (code == null || PROTOCOL_ONLY_CODES.contains(code.code())) {
                throw badField("code must be one of 1000, 1001, 1008, 1011, 1012, 1013, 4001, 4003, 4008, 4029");
            }
        }
        return Map.of("disconnected", hub.disconnectUser(user.textValue(), code, "disconnected by the server"));
    }

    /**
     * The body of a call that sends a message: at most {@code websocket.maxMessageBytes}, as a client's
     * message frame is, so the API cannot put larger messages into rooms and histories than clients can.
     */
    private JsonNode messageBody(FullHttpRequest req) throws ApiError {
        int size = req.content().readableBytes();
        if (size > maxMessageBytes) {
            throw new ApiError(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, ErrorCode.MESSAGE_TOO_LARGE.wireName(),
                    "body of " + size + " bytes exceeds websocket.maxMessageBytes (" + maxMessageBytes + ")");
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

    private static String room(JsonNode body) throws ApiError {
        JsonNode room = body.get("room");
        if (room == null || !room.isTextual() || !Names.isValidRoom(room.textValue())) {
            throw badField("room must match [A-Za-z0-9_.:@/-]{1,128}");
        }
        return room.textValue();
    }

    private static String content(JsonNode body) throws ApiError {
        JsonNode content = body.get("content");
        if (content == null || content.isNull()) {
            return null;
        }
        if (!content.isTextual()) {
            throw badField("content must be a string");
        }
        return content.textValue();
    }

    private static void requireMethod(HttpMethod actual, HttpMethod expected) throws ApiError {
        if (!actual.equals(expected)) {
            throw new ApiError(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed", "use " + expected);
        }
    }

    private static ApiError badField(String message) {
        return new ApiError(HttpResponseStatus.BAD_REQUEST, ErrorCode.INVALID_FIELD.wireName(), message);
    }

    private static ApiError fromHub(HubException e) {
        HttpResponseStatus status = switch (e.code()) {
            case USER_NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
            case UNAVAILABLE -> HttpResponseStatus.SERVICE_UNAVAILABLE;
            default -> HttpResponseStatus.BAD_REQUEST;
        };
        return new ApiError(status, e.code().wireName(), e.getMessage());
    }
}
