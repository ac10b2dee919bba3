package io.switchboard.server.http;

import static io.switchboard.server.http.ApiError.badField;
import static io.switchboard.server.http.ApiError.fromHub;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.HubException;
import io.switchboard.core.hub.Hub;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.Names;
import java.util.Map;
import java.util.Set;

/**
 * What the backend API does, one JSON object of parameters in, a result (or a stage of one) out: the bodies of
 * the {@code POST} endpoints and the commands of {@code /api/batch}. Thread-safe; calls only thread-safe hub
 * methods.
 */
final class ApiCommands {
    /** Codes a backend may close a connection with: the table's, minus those that mean a protocol fault. */
    private static final Set<Integer> PROTOCOL_ONLY_CODES = Set.of(1002, 1003, 1007, 1009);
    /** The commands of {@code /api/batch}, by method name. */
    static final Set<String> METHODS = Set.of("publish", "broadcast", "private", "disconnect", "subscribe",
            "unsubscribe");

    private final Hub hub;

    ApiCommands(Hub hub) {
        this.hub = hub;
    }

    /** Runs a command by its method name. */
    Object run(String method, JsonNode params) throws ApiError {
        return switch (method) {
            case "publish" -> publish(params);
            case "broadcast" -> broadcast(params);
            case "private" -> sendPrivate(params);
            case "disconnect" -> disconnect(params);
            case "subscribe" -> subscribe(params);
            case "unsubscribe" -> unsubscribe(params);
            default -> throw badField("method must be one of broadcast, disconnect, private, publish, subscribe,"
                    + " unsubscribe");
        };
    }

    Object publish(JsonNode body) throws ApiError {
        String room = room(body);
        String content = content(body);
        JsonNode data = body.get("data");
        if (content == null && (data == null || data.isNull())) {
            throw badField("a room message needs content or data");
        }
        try {
            return hub.publish(room, "server", content, data, idempotencyKey(body))
                    .thenApply(offset -> Map.of("offset", offset));
        } catch (HubException e) {
            throw fromHub(e);
        }
    }

    /** {@code idempotencyKey}: absent, or a non-empty string of at most the protocol's length. */
    private static String idempotencyKey(JsonNode body) throws ApiError {
        JsonNode key = body.get("idempotencyKey");
        if (key == null || key.isNull()) {
            return null;
        }
        if (!key.isTextual() || !Names.isValidIdempotencyKey(key.textValue())) {
            throw badField("idempotencyKey must be a non-empty string of at most " + Names.MAX_IDEMPOTENCY_KEY_LENGTH
                    + " characters");
        }
        return key.textValue();
    }

    Object broadcast(JsonNode body) throws ApiError {
        try {
            return hub.broadcast("server", null, content(body), body.get("data"), null)
                    .thenApply(v -> Map.of("ok", true));
        } catch (HubException e) {
            throw fromHub(e);
        }
    }

    Object sendPrivate(JsonNode body) throws ApiError {
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

    Object disconnect(JsonNode body) throws ApiError {
        String user = userId(body);
        CloseCode code = CloseCode.FORBIDDEN;
        JsonNode codeNode = body.get("code");
        if (codeNode != null && !codeNode.isNull()) {
            code = codeNode.canConvertToInt() && codeNode.isIntegralNumber() ? CloseCode.of(codeNode.intValue()) : null;
            if (code == null || PROTOCOL_ONLY_CODES.contains(code.code())) {
                throw badField("code must be one of 1000, 1001, 1008, 1011, 1012, 1013, 4001, 4003, 4008, 4029");
            }
        }
        return Map.of("disconnected", hub.disconnectUser(user, code, "disconnected by the server"));
    }

    /** {@code connections}: how many the node that took the call has for the user; the other nodes act too. */
    Object subscribe(JsonNode body) throws ApiError {
        String user = userId(body);
        return Map.of("connections", hub.subscribeUser(user, room(body)));
    }

    Object unsubscribe(JsonNode body) throws ApiError {
        String user = userId(body);
        return Map.of("connections", hub.unsubscribeUser(user, room(body)));
    }

    private static String userId(JsonNode body) throws ApiError {
        JsonNode user = body.get("userId");
        if (user == null || !user.isTextual() || !Names.isValidUserId(user.textValue())) {
            throw badField("userId must match [A-Za-z0-9_.:@-]{1,64}");
        }
        return user.textValue();
    }

    static String room(JsonNode body) throws ApiError {
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
}
