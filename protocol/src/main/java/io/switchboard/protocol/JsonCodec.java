package io.switchboard.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * JSON codec for protocol v1. Decoding validates every field a command uses and reports the first
 * violation as a {@link ProtocolException} with the matching {@link ErrorCode}; encoding writes
 * {@link ServerMessage}s with {@code type} first and null fields left out.
 *
 * <p>Thread-safe: one shared instance serves every connection.
 */
public final class JsonCodec {
    /**
     * Nesting allowed in a command's {@code data}. Deeper documents are rejected as invalid JSON
     * before a tree is built, so a crafted message cannot exhaust the stack.
     */
    public static final int MAX_NESTING_DEPTH = 64;

    private final ObjectMapper mapper;

    public JsonCodec() {
        this.mapper = JsonMapper.builder()
                .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                // Trees keep numbers as sent, so data is relayed byte-exact, not re-encoded as doubles.
                .addModule(new SimpleModule("exact-numbers").addDeserializer(JsonNode.class,
                        new ExactTreeDeserializer()))
                .build();
        mapper.getFactory().setStreamReadConstraints(
                StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build());
    }

    /** The mapper used for all JSON, for callers (HTTP API) that need trees with the same rules. */
    public ObjectMapper mapper() {
        return mapper;
    }

    /** Encodes a server message to UTF-8 JSON. */
    public byte[] encode(ServerMessage message) {
        try {
            return mapper.writeValueAsBytes(message);
        } catch (JsonProcessingException e) {
            // Records of plain fields cannot fail to serialize; reaching this is a bug.
            throw new UncheckedIOException(e);
        }
    }

    /** Encodes a command as a client sends it (see {@link Command}); {@link #decodeCommand} reads it back. */
    public String encodeCommand(Command command) {
        try {
            return mapper.writeValueAsString(command);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Encodes any value (HTTP API bodies) with the same mapper. */
    public byte[] encodeValue(Object value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses a JSON object, or fails with {@code invalid_json}. */
    public JsonNode parseObject(byte[] utf8, int offset, int length) throws ProtocolException {
        JsonNode node;
        try {
            node = mapper.readTree(utf8, offset, length);
        } catch (IOException e) {
            throw new ProtocolException(ErrorCode.INVALID_JSON, "message is not valid JSON", null);
        }
        if (node == null || !node.isObject()) {
            throw new ProtocolException(ErrorCode.INVALID_JSON, "message must be a JSON object", null);
        }
        return node;
    }

    /** Decodes one command from a text frame's UTF-8 payload. */
    public Command decodeCommand(byte[] utf8, int offset, int length) throws ProtocolException {
        return decodeCommand(parseObject(utf8, offset, length));
    }

    public Command decodeCommand(byte[] utf8) throws ProtocolException {
        return decodeCommand(utf8, 0, utf8.length);
    }

    /** Decodes one command from a parsed JSON object. */
    public Command decodeCommand(JsonNode node) throws ProtocolException {
        JsonNode id = commandId(node);
        JsonNode typeNode = node.get("type");
        if (typeNode == null || !typeNode.isTextual()) {
            throw new ProtocolException(ErrorCode.MISSING_TYPE, "command must have a string \"type\"", id);
        }
        Fields f = new Fields(node, id);
        String type = typeNode.textValue();
        switch (type) {
            case "ping":
                return new Command.Ping(id);
            case "echo":
                return new Command.Echo(id, f.content(), f.data());
            case "join_room":
            case "join":
                return new Command.JoinRoom(id, f.room(), f.since());
            case "leave_room":
            case "leave":
                return new Command.LeaveRoom(id, f.room());
            case "room_message":
                return roomMessage(id, f);
            case "broadcast":
                if (node.has("room") || node.has("room_id")) {
                    return roomMessage(id, f);
                }
                return new Command.Broadcast(id, f.content(), f.data());
            case "private_message":
                return new Command.PrivateMessage(id, f.to(), f.content(), f.data());
            case "presence":
                return new Command.Presence(id, f.room(), f.presenceLimit(), f.cursor());
            case "history":
                return new Command.History(id, f.room(), f.optionalOffset("since"), f.optionalLimit());
            case "refresh":
                return new Command.Refresh(id, f.token());
            case "rpc":
                return new Command.Rpc(id, f.method(), f.data());
            default:
                String meant = CommandTypes.closest(type);
                throw new ProtocolException(ErrorCode.UNKNOWN_TYPE, "unknown command type: " + shorten(type)
                        + (meant == null ? "" : " (did you mean " + meant + "?)"), id);
        }
    }

    /** A room message must carry something: an empty one would be stored and delivered as nothing. */
    private static Command.RoomMessage roomMessage(JsonNode id, Fields f) throws ProtocolException {
        Command.RoomMessage m = new Command.RoomMessage(id, f.room(), f.content(), f.data(), f.echo(),
                f.idempotencyKey());
        if (m.content() == null && m.data() == null) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "a room message needs content or data", id);
        }
        return m;
    }

    private static JsonNode commandId(JsonNode node) throws ProtocolException {
        JsonNode id = node.get("id");
        if (id == null || id.isNull()) {
            return null;
        }
        boolean valid = (id.isTextual() || id.isNumber()) && id.asText().length() <= Names.MAX_COMMAND_ID_LENGTH;
        if (!valid) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD,
                    "id must be a string or number of at most " + Names.MAX_COMMAND_ID_LENGTH + " characters", null);
        }
        return id;
    }

    /** Keeps attacker-chosen text out of error replies beyond a short prefix. */
    private static String shorten(String s) {
        return s.length() <= 32 ? s : s.substring(0, 32) + "...";
    }

    /** Longest presence cursor: a user id and a connection id, base64url. */
    static final int MAX_CURSOR_CHARS = 256;

    /** Field readers for one command; each failure names the field and its rule. */
    private static final class Fields {
        private final JsonNode node;
        private final JsonNode id;

        Fields(JsonNode node, JsonNode id) {
            this.node = node;
            this.id = id;
        }

        private ProtocolException invalid(String message) {
            return new ProtocolException(ErrorCode.INVALID_FIELD, message, id);
        }

        private JsonNode present(String name) {
            JsonNode value = node.get(name);
            return value == null || value.isNull() ? null : value;
        }

        String room() throws ProtocolException {
            JsonNode value = present("room");
            if (value == null) {
                value = present("room_id");
            }
            if (value == null) {
                throw invalid("room is required");
            }
            if (!value.isTextual() || !Names.isValidRoom(value.textValue())) {
                throw invalid("room must match [A-Za-z0-9_.:@/-]{1,128}");
            }
            return value.textValue();
        }

        String to() throws ProtocolException {
            JsonNode value = present("to");
            if (value == null) {
                throw invalid("to is required");
            }
            if (!value.isTextual() || !Names.isValidUserId(value.textValue())) {
                throw invalid("to must match [A-Za-z0-9_.:@-]{1,64}");
            }
            return value.textValue();
        }

        String content() throws ProtocolException {
            JsonNode value = present("content");
            if (value == null) {
                return null;
            }
            if (!value.isTextual()) {
                throw invalid("content must be a string");
            }
            return value.textValue();
        }

        JsonNode data() {
            return present("data");
        }

        String idempotencyKey() throws ProtocolException {
            JsonNode value = present("idempotencyKey");
            if (value == null) {
                return null;
            }
            if (!value.isTextual() || !Names.isValidIdempotencyKey(value.textValue())) {
                throw invalid("idempotencyKey must be a non-empty string of at most "
                        + Names.MAX_IDEMPOTENCY_KEY_LENGTH + " characters");
            }
            return value.textValue();
        }

        boolean echo() throws ProtocolException {
            JsonNode value = present("echo");
            if (value == null) {
                return false;
            }
            if (!value.isBoolean()) {
                throw invalid("echo must be a boolean");
            }
            return value.booleanValue();
        }

        Command.Since since() throws ProtocolException {
            JsonNode value = present("since");
            if (value == null) {
                return null;
            }
            if (!value.isObject()) {
                throw invalid("since must be an object {\"offset\":N,\"epoch\":\"E\"}");
            }
            JsonNode offset = value.get("offset");
            JsonNode epoch = value.get("epoch");
            if (offset == null || !offset.canConvertToExactIntegral() || !offset.canConvertToLong()
                    || offset.getNodeType() != JsonNodeType.NUMBER || offset.longValue() < 0) {
                throw invalid("since.offset must be a non-negative integer");
            }
            if (epoch == null || !epoch.isTextual() || epoch.textValue().isEmpty() || epoch.textValue().length() > 64) {
                throw invalid("since.epoch must be a non-empty string of at most 64 characters");
            }
            return new Command.Since(offset.longValue(), epoch.textValue());
        }

        Long optionalOffset(String name) throws ProtocolException {
            JsonNode value = present(name);
            if (value == null) {
                return null;
            }
            if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < 0) {
                throw invalid(name + " must be a non-negative integer");
            }
            return value.longValue();
        }

        Integer optionalLimit() throws ProtocolException {
            JsonNode value = present("limit");
            if (value == null) {
                return null;
            }
            if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 1) {
                throw invalid("limit must be a positive integer");
            }
            return value.intValue();
        }

        String method() throws ProtocolException {
            JsonNode value = present("method");
            if (value == null || !value.isTextual() || !Names.isValidRpcMethod(value.textValue())) {
                throw invalid("method must match " + Names.RPC_METHOD_RULE);
            }
            return value.textValue();
        }

        Integer presenceLimit() throws ProtocolException {
            Integer limit = optionalLimit();
            if (limit != null && limit > Command.Presence.MAX_LIMIT) {
                throw invalid("limit must be between 1 and " + Command.Presence.MAX_LIMIT);
            }
            return limit;
        }

        /** An opaque page cursor; the hub checks its content. */
        String cursor() throws ProtocolException {
            JsonNode value = present("cursor");
            if (value == null) {
                return null;
            }
            if (!value.isTextual() || value.textValue().isEmpty() || value.textValue().length() > MAX_CURSOR_CHARS) {
                throw invalid("cursor must be a non-empty string of at most " + MAX_CURSOR_CHARS
                        + " characters, as a presence reply gave it");
            }
            return value.textValue();
        }

        String token() throws ProtocolException {
            JsonNode value = present("token");
            if (value == null || !value.isTextual() || value.textValue().isEmpty()) {
                throw invalid("token must be a non-empty string");
            }
            return value.textValue();
        }
    }
}
