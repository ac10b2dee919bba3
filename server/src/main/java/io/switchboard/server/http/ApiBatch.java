package io.switchboard.server.http;

import static io.switchboard.server.http.ApiError.badField;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.switchboard.core.hub.Hub;
import io.switchboard.protocol.ErrorCode;
import io.switchboard.protocol.JsonCodec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code POST /api/batch}: commands run one after the other, each starting once the one before completed (two
 * publishes to a room take their offsets in the batch's order), and the replies come back in that order: a
 * command's result, or {@code {"error","message"}} for one that failed; a failure does not stop the rest.
 * Thread-safe.
 */
final class ApiBatch {
    static final int MAX_COMMANDS = 1000;
    /** Commands whose parameters are a message, held to the clients' cap as the single endpoints are. */
    private static final Set<String> MESSAGES = Set.of("publish", "broadcast", "private");

    private final ApiCommands commands;
    private final JsonCodec codec;
    private final int maxMessageBytes;

    ApiBatch(ApiCommands commands, JsonCodec codec, int maxMessageBytes) {
        this.commands = commands;
        this.codec = codec;
        this.maxMessageBytes = maxMessageBytes;
    }

    static ApiError tooLarge(String what, int size, int max) {
        return new ApiError(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, ErrorCode.MESSAGE_TOO_LARGE.wireName(),
                what + " of " + size + " bytes exceeds websocket.maxMessageBytes (" + max + ")");
    }

    /** Checks the whole batch first (a malformed one runs nothing), then runs it. */
    Object run(JsonNode body) throws ApiError {
        JsonNode list = body.get("commands");
        if (list == null || !list.isArray() || list.isEmpty() || list.size() > MAX_COMMANDS) {
            throw badField("commands must be an array of 1 to " + MAX_COMMANDS + " commands");
        }
        for (int i = 0; i < list.size(); i++) {
            JsonNode command = list.get(i);
            JsonNode method = command.get("method");
            if (method == null || !method.isTextual() || !ApiCommands.METHODS.contains(method.textValue())) {
                throw badField("commands[" + i + "].method must be one of broadcast, disconnect, private, publish,"
                        + " subscribe, unsubscribe");
            }
            JsonNode params = command.get("params");
            if (params == null || !params.isObject()) {
                throw badField("commands[" + i + "].params must be an object");
            }
            if (MESSAGES.contains(method.textValue())) {
                int size = codec.encodeValue(params).length;
                if (size > maxMessageBytes) {
                    throw tooLarge("commands[" + i + "].params", size, maxMessageBytes);
                }
            }
        }
        List<Object> replies = new ArrayList<>(list.size());
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (JsonNode command : list) {
            chain = chain.thenCompose(v -> runOne(command)).thenAccept(replies::add);
        }
        CompletableFuture<Void> done = chain;
        if (done.isDone()) {
            return Map.of("replies", replies);
        }
        return done.thenApply(v -> Map.of("replies", replies));
    }

    /** One command's reply; never fails. */
    private CompletionStage<Object> runOne(JsonNode command) {
        Object result;
        try {
            result = commands.run(command.get("method").textValue(), command.get("params"));
        } catch (ApiError e) {
            return CompletableFuture.completedFuture(error(e));
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(error(ApiError.fromHub(Hub.unavailable("batch", e))));
        }
        if (!(result instanceof CompletionStage<?> stage)) {
            return CompletableFuture.completedFuture(result);
        }
        return stage.handle((value, failure) -> failure == null ? value
                : error(ApiError.fromHub(Hub.unavailable("batch", failure))));
    }

    private static Map<String, String> error(ApiError e) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("error", e.code);
        out.put("message", e.getMessage());
        return out;
    }
}
