package io.switchboard.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A command from a client (PROTOCOL.md section 3), as decoded by {@link JsonCodec#decodeCommand}.
 * Every command may carry an {@code id} (a JSON string or number of at most 64 characters) that
 * every reply echoes; it is {@code null} when absent. {@code content} is a string or {@code null};
 * {@code data} is any JSON value or {@code null}.
 *
 * <p>{@link JsonCodec#encodeCommand} writes a command as a client sends it: {@code type} first, then
 * {@code id}, absent fields ({@code null}, and {@code echo} when false) left out.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"type", "id"})
public sealed interface Command {

    /** The correlation id, or {@code null}. */
    JsonNode id();

    /** The canonical wire name of the command type. */
    @JsonProperty("type")
    String type();

    record Ping(JsonNode id) implements Command {
        public static final String TYPE = "ping";

        @Override
        public String type() {
            return TYPE;
        }
    }

    record Echo(JsonNode id, String content, JsonNode data) implements Command {
        public static final String TYPE = "echo";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** Position in a room's history: the last offset a client saw, in the epoch it saw it. */
    record Since(long offset, String epoch) {
    }

    record JoinRoom(JsonNode id, String room, Since since) implements Command {
        public static final String TYPE = "join_room";

        @Override
        public String type() {
            return TYPE;
        }
    }

    record LeaveRoom(JsonNode id, String room) implements Command {
        public static final String TYPE = "leave_room";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /**
     * {@code echo} false is the default, so it is not written. {@code idempotencyKey}: a repeat of the same key to
     * the same room within {@code history.idempotencyWindow} is neither stored nor delivered again, and is acked
     * with the first publish's offset; null for none.
     */
    record RoomMessage(JsonNode id, String room, String content, JsonNode data,
                       @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean echo, String idempotencyKey)
            implements Command {
        public static final String TYPE = "room_message";

        public RoomMessage(JsonNode id, String room, String content, JsonNode data, boolean echo) {
            this(id, room, content, data, echo, null);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    record PrivateMessage(JsonNode id, String to, String content, JsonNode data) implements Command {
        public static final String TYPE = "private_message";

        @Override
        public String type() {
            return TYPE;
        }
    }

    record Broadcast(JsonNode id, String content, JsonNode data) implements Command {
        public static final String TYPE = "broadcast";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /**
     * One page of a room's members: at most {@code limit} (null: {@link #DEFAULT_LIMIT}, at most
     * {@link #MAX_LIMIT}) after {@code cursor} (null: from the first), as the previous page's reply gave it.
     */
    record Presence(JsonNode id, String room, Integer limit, String cursor) implements Command {
        public static final String TYPE = "presence";
        public static final int DEFAULT_LIMIT = 100;
        public static final int MAX_LIMIT = 1000;

        public Presence(JsonNode id, String room) {
            this(id, room, null, null);
        }

        /** The page size asked for, defaulted. */
        public int pageSize() {
            return limit == null ? DEFAULT_LIMIT : limit;
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** {@code since} is an offset ({@code null}: the whole retained history); {@code limit} may be null. */
    record History(JsonNode id, String room, Long since, Integer limit) implements Command {
        public static final String TYPE = "history";

        @Override
        public String type() {
            return TYPE;
        }
    }

    record Refresh(JsonNode id, String token) implements Command {
        public static final String TYPE = "refresh";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** A call the server hands to the backend's RPC proxy; {@code data} may be null. */
    record Rpc(JsonNode id, String method, JsonNode data) implements Command {
        public static final String TYPE = "rpc";

        @Override
        public String type() {
            return TYPE;
        }
    }
}
