package io.switchboard.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * A message from the server (PROTOCOL.md sections 1, 3 and 4), encoded by
 * {@link JsonCodec#encode}. Null fields are left out of the JSON; {@code type} comes first.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface ServerMessage {

    /** The wire type name. */
    @JsonProperty("type")
    String type();

    /**
     * A member of a room, as listed in joins and presence replies; {@code info} is the presence
     * metadata of the member's token ({@code info} claim), left out when there is none.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Member(String userId, String connId, JsonNode info) {
        public Member(String userId, String connId) {
            this(userId, connId, null);
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ServerInfo(String version, String node, long pingIntervalMs, long maxMessageBytes) {
    }

    @JsonPropertyOrder({"type", "connId", "userId", "content", "server"})
    record Welcome(String connId, String userId, String content, ServerInfo server) implements ServerMessage {
        public static final String GREETING = "Connected to WebSocket server";

        @Override
        public String type() {
            return "welcome";
        }
    }

    @JsonPropertyOrder({"type", "id"})
    record Pong(JsonNode id) implements ServerMessage {
        @Override
        public String type() {
            return "pong";
        }
    }

    @JsonPropertyOrder({"type", "id", "content", "data"})
    record EchoReply(JsonNode id, String content, JsonNode data) implements ServerMessage {
        @Override
        public String type() {
            return "echo";
        }
    }

    /** {@code recovered} is present only when the join carried {@code since}. */
    @JsonPropertyOrder({"type", "id", "room", "members", "offset", "epoch", "recovered"})
    record RoomJoined(JsonNode id, String room, List<Member> members, long offset, String epoch, Boolean recovered)
            implements ServerMessage {
        @Override
        public String type() {
            return "room_joined";
        }
    }

    @JsonPropertyOrder({"type", "room", "userId", "connId"})
    record UserJoinedRoom(String room, String userId, String connId) implements ServerMessage {
        @Override
        public String type() {
            return "user_joined_room";
        }
    }

    /**
     * The connection is out of {@code room}: the answer to {@code leave_room} (no reason), or a notice
     * with a {@code reason} when the server took it out, e.g. {@link #GRANT_REVOKED}.
     */
    @JsonPropertyOrder({"type", "id", "room", "reason"})
    record RoomLeft(JsonNode id, String room, String reason) implements ServerMessage {
        /** A token {@code refresh} no longer grants reading the room. */
        public static final String GRANT_REVOKED = "grant_revoked";

        /** The answer to {@code leave_room}. */
        public RoomLeft(JsonNode id, String room) {
            this(id, room, null);
        }

        @Override
        public String type() {
            return "room_left";
        }
    }

    @JsonPropertyOrder({"type", "room", "userId", "connId"})
    record UserLeftRoom(String room, String userId, String connId) implements ServerMessage {
        @Override
        public String type() {
            return "user_left_room";
        }
    }

    /** A message published to a room; {@code connId} is null for messages from the backend API. */
    @JsonPropertyOrder({"type", "room", "from", "connId", "content", "data", "offset", "ts"})
    record RoomMessage(String room, String from, String connId, String content, JsonNode data, long offset, long ts)
            implements ServerMessage {
        @Override
        public String type() {
            return "room_message";
        }
    }

    /** {@code offset} is present only for acks of room messages. */
    @JsonPropertyOrder({"type", "id", "offset"})
    record Ack(JsonNode id, Long offset) implements ServerMessage {
        @Override
        public String type() {
            return "ack";
        }
    }

    @JsonPropertyOrder({"type", "from", "connId", "content", "data", "ts"})
    record PrivateMessage(String from, String connId, String content, JsonNode data, long ts) implements ServerMessage {
        @Override
        public String type() {
            return "private_message";
        }
    }

    @JsonPropertyOrder({"type", "from", "connId", "content", "data", "ts"})
    record Broadcast(String from, String connId, String content, JsonNode data, long ts) implements ServerMessage {
        @Override
        public String type() {
            return "broadcast";
        }
    }

    @JsonPropertyOrder({"type", "id", "room", "members", "count"})
    record Presence(JsonNode id, String room, List<Member> members, int count) implements ServerMessage {
        @Override
        public String type() {
            return "presence";
        }
    }

    @JsonPropertyOrder({"type", "id", "room", "epoch", "messages"})
    record History(JsonNode id, String room, String epoch, List<RoomMessage> messages) implements ServerMessage {
        @Override
        public String type() {
            return "history";
        }
    }

    @JsonPropertyOrder({"type", "id", "expiresAt"})
    record Refreshed(JsonNode id, long expiresAt) implements ServerMessage {
        @Override
        public String type() {
            return "refreshed";
        }
    }

    @JsonPropertyOrder({"type", "id", "code", "error"})
    record Error(JsonNode id, String code, String error) implements ServerMessage {
        public Error(JsonNode id, ErrorCode code, String error) {
            this(id, code.wireName(), error);
        }

        @Override
        public String type() {
            return "error";
        }
    }

    @JsonPropertyOrder({"type", "content", "reconnectAfterMs"})
    record ServerShutdown(String content, long reconnectAfterMs) implements ServerMessage {
        public static final String NOTICE = "Server is shutting down";

        @Override
        public String type() {
            return "server_shutdown";
        }
    }

    @JsonPropertyOrder({"type", "userId", "connId"})
    record UserJoined(String userId, String connId) implements ServerMessage {
        @Override
        public String type() {
            return "user_joined";
        }
    }

    @JsonPropertyOrder({"type", "userId", "connId"})
    record UserLeft(String userId, String connId) implements ServerMessage {
        @Override
        public String type() {
            return "user_left";
        }
    }
}
