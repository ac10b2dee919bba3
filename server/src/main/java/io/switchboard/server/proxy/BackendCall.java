package io.switchboard.server.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.core.HubException;
import io.switchboard.core.guard.ClusterGuard;
import io.switchboard.protocol.ErrorCode;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ProtocolException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One proxy URL: a JSON object posted, the backend's JSON object back, through the JDK HTTP client (its own
 * threads, never an event loop) behind a {@link ClusterGuard} (deadline, bound on calls in flight, circuit
 * breaker). A refusal ({@code {"error":{"code","message"}}}, or a 403) is an answer, not a failure: it does not
 * open the breaker. Thread-safe.
 */
final class BackendCall {
    /** How long the breaker stays open before it lets probes through. */
    private static final Duration OPEN_FOR = Duration.ofSeconds(5);

    private final String name;
    private final URI url;
    private final Duration timeout;
    private final HttpClient http;
    private final JsonCodec codec;
    private final ClusterGuard guard;

    BackendCall(String name, String url, Duration timeout, int maxPending, HttpClient http, JsonCodec codec) {
        this.name = name;
        this.url = URI.create(url);
        this.timeout = timeout;
        this.http = http;
        this.codec = codec;
        this.guard = new ClusterGuard(name, timeout, maxPending, OPEN_FOR);
    }

    /**
     * Posts {@code body}; completes with the backend's answer when it allowed, exceptionally with a
     * {@link HubException}: the backend's refusal (its code when it is one of the protocol's, else
     * {@code forbidden}), or {@code unavailable} when the backend is slow, down, failing or the breaker is open.
     */
    CompletableFuture<JsonNode> post(ObjectNode body) {
        HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(codec.encodeValue(body))).build();
        CompletableFuture<JsonNode> answer;
        try {
            answer = guard.call(() -> http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                    .thenApply(this::read));
        } catch (HubException e) {
            return CompletableFuture.failedFuture(e);
        }
        return answer.handle((json, e) -> {
            if (e != null) {
                throw new java.util.concurrent.CompletionException(
                        new HubException(ErrorCode.UNAVAILABLE, name + " is unavailable, retry later"));
            }
            JsonNode error = json.get("error");
            if (error != null && !error.isNull()) {
                throw new java.util.concurrent.CompletionException(refusal(error));
            }
            return json;
        });
    }

    /** The answer as a JSON object ({@code {}} for an empty 2xx body); throws for what counts as a failure. */
    private JsonNode read(HttpResponse<byte[]> res) {
        int status = res.statusCode();
        byte[] body = res.body();
        if (status == 403) {
            JsonNode parsed = parseOrNull(body);
            if (parsed != null && parsed.path("error").isObject()) {
                return parsed;
            }
            ObjectNode refused = codec.mapper().createObjectNode();
            refused.putObject("error").put("code", ErrorCode.FORBIDDEN.wireName()).put("message", "refused");
            return refused;
        }
        if (status / 100 != 2) {
            throw new IllegalStateException(name + " answered " + status);
        }
        if (body.length == 0) {
            return codec.mapper().createObjectNode();
        }
        JsonNode parsed = parseOrNull(body);
        if (parsed == null) {
            throw new IllegalStateException(name + " answered something other than a JSON object");
        }
        return parsed;
    }

    private JsonNode parseOrNull(byte[] body) {
        try {
            return codec.parseObject(body, 0, body.length);
        } catch (ProtocolException e) {
            return null;
        }
    }

    private static HubException refusal(JsonNode error) {
        String code = error.path("code").asText(ErrorCode.FORBIDDEN.wireName());
        String message = error.path("message").asText("refused");
        if (message.length() > 256) {
            message = message.substring(0, 256); // the backend's text reaches clients: keep it a line
        }
        ErrorCode known = ErrorCode.FORBIDDEN;
        for (ErrorCode c : ErrorCode.values()) {
            if (c.wireName().equals(code)) {
                known = c;
            }
        }
        return new HubException(known, message);
    }

    /** The breaker's state, for logs and health: CLOSED, OPEN or HALF_OPEN. */
    String state() {
        return guard.state();
    }
}
