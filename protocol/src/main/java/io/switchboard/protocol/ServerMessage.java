package io.switchboard.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * A message from the server (PROTOCOL.md sections 1, 3 and 4), encoded by
 * {@link JsonCodec#encode}. Null fields are left out of the JSON; {@code type} comes first. Each
 * record's {@code TYPE} is its wire type name, for clients and tools that read the JSON as a tree.
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

        public static final String TYPE = "welcome";

        @Override
        public String type() {
            return TYPE;
        }
    }

    @JsonPropertyOrder({"type", "id"})
    record Pong(JsonNode id) implements ServerMessage {
        public static final String TYPE = "pong";

        @Override
        public String type() {
            return TYPE;
        }
    }

    @JsonPropertyOrder({"type", "id", "content", "data"})
    record EchoReply(JsonNode id, String content, JsonNode data) implements ServerMessage {
        public static final String TYPE = "echo";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /**
     * {@code recovered} is present only when the join carried {@code since}, {@code reason} only when it is
     * false ({@link #NO_HISTORY}, {@link #NOT_RETAINED}); {@code count} and {@code members} are absent when
     * the room's presence is off, {@code members} also when it sends counts only; {@code membersTruncated} is true
     * when {@code members} holds only the first of them (in member order); {@code server} only when the backend
     * joined the connection ({@code POST /api/subscribe}), then true.
     */
    @JsonPropertyOrder({"type", "id", "room", "count", "members", "membersTruncated", "offset", "epoch", "recovered",
            "reason", "server"})
    record RoomJoined(JsonNode id, String room, Integer count, List<Member> members, Boolean membersTruncated,
                      long offset, String epoch, Boolean recovered, String reason, Boolean server)
            implements ServerMessage {
        public static final String TYPE = "room_joined";
        /** Not recovered: the room's namespace keeps no history ({@code historySize: 0}). */
        public static final String NO_HISTORY = "no_history";
        /**
         * Not recovered: the messages after the given offset are no longer all kept (too many, too old), or the
         * room's history was lost since (another epoch).
         */
        public static final String NOT_RETAINED = "not_retained";

        /** The answer to {@code join_room}. */
        public RoomJoined(JsonNode id, String room, Integer count, List<Member> members, Boolean membersTruncated,
                          long offset, String epoch, Boolean recovered, String reason) {
            this(id, room, count, members, membersTruncated, offset, epoch, recovered, reason, null);
        }

        /** A full member list, counted. */
        public RoomJoined(JsonNode id, String room, List<Member> members, long offset, String epoch, Boolean recovered) {
            this(id, room, members.size(), members, null, offset, epoch, recovered, null);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /**
     * The joins and leaves of a large room since the last diff, sent instead of one notice each; {@code count}
     * is the room's member count after them. {@code truncated}: more changed than one diff lists, re-read
     * the members with {@code presence}.
     */
    @JsonPropertyOrder({"type", "room", "joins", "leaves", "count", "truncated"})
    record PresenceDiff(String room, List<Member> joins, List<Member> leaves, int count, Boolean truncated)
            implements ServerMessage {
        public static final String TYPE = "presence_diff";

        @Override
        public String type() {
            return TYPE;
        }
    }

    @JsonPropertyOrder({"type", "room", "userId", "connId"})
    record UserJoinedRoom(String room, String userId, String connId) implements ServerMessage {
        public static final String TYPE = "user_joined_room";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /**
     * The connection is out of {@code room}: the answer to {@code leave_room} (no reason), or a notice
     * with a {@code reason} when the server took it out, e.g. {@link #GRANT_REVOKED}.
     */
    @JsonPropertyOrder({"type", "id", "room", "reason", "server"})
    record RoomLeft(JsonNode id, String room, String reason, Boolean server) implements ServerMessage {
        /** A token {@code refresh} no longer grants reading the room. */
        public static final String GRANT_REVOKED = "grant_revoked";

        /** The answer to {@code leave_room}. */
        public RoomLeft(JsonNode id, String room) {
            this(id, room, null, null);
        }

        /** A notice that the server took the connection out of the room for {@code reason}. */
        public RoomLeft(JsonNode id, String room, String reason) {
            this(id, room, reason, null);
        }

        public static final String TYPE = "room_left";

        @Override
        public String type() {
            return TYPE;
        }
    }

    @JsonPropertyOrder({"type", "room", "userId", "connId"})
    record UserLeftRoom(String room, String userId, String connId) implements ServerMessage {
        public static final String TYPE = "user_left_room";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** A message published to a room; {@code connId} is null for messages from the backend API. */
    @JsonPropertyOrder({"type", "room", "from", "connId", "content", "data", "offset", "ts"})
    record RoomMessage(String room, String from, String connId, String content, JsonNode data, long offset, long ts)
            implements ServerMessage {
        public static final String TYPE = "room_message";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** {@code offset} is present only for acks of room messages. */
    @JsonPropertyOrder({"type", "id", "offset"})
    record Ack(JsonNode id, Long offset) implements ServerMessage {
        public static final String TYPE = "ack";

        @Override
        public String type() {
            return TYPE;
        }
    }

    @JsonPropertyOrder({"type", "from", "connId", "content", "data", "ts"})
    record PrivateMessage(String from, String connId, String content, JsonNode data, long ts) implements ServerMessage {
        public static final String TYPE = "private_message";

        @Override
        public String type() {
            return TYPE;
        }
    }

    @JsonPropertyOrder({"type", "from", "connId", "content", "data", "ts"})
    record Broadcast(String from, String connId, String content, JsonNode data, long ts) implements ServerMessage {
        public static final String TYPE = "broadcast";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /**
     * One page of a room's members and how many it has; {@code cursor} asks for the next page and is present
     * only while more remain. {@code members} is absent when the room sends counts only.
     */
    @JsonPropertyOrder({"type", "id", "room", "count", "members", "cursor"})
    record Presence(JsonNode id, String room, List<Member> members, int count, String cursor) implements ServerMessage {
        public static final String TYPE = "presence";

        public Presence(JsonNode id, String room, List<Member> members, int count) {
            this(id, room, members, count, null);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    @JsonPropertyOrder({"type", "id", "room", "epoch", "messages"})
    record History(JsonNode id, String room, String epoch, List<RoomMessage> messages) implements ServerMessage {
        public static final String TYPE = "history";

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** The backend's answer to an {@code rpc} command. */
    @JsonPropertyOrder({"type", "id", "data"})
    record RpcResult(JsonNode id, JsonNode data) implements ServerMessage {
        public static final String TYPE = "rpc_result";

        @Override
        public String type() {
            return TYPE;
        }
    }

    @JsonPropertyOrder({"type", "id", "expiresAt"})
    record Refreshed(JsonNode id, long expiresAt) implements ServerMessage {
        public static final String TYPE = "refreshed";

        @Override
        public String type() {
            return TYPE;
        }
    }

    @JsonPropertyOrder({"type", "id", "code", "error"})
    record Error(JsonNode id, String code, String error) implements ServerMessage {
        public Error(JsonNode id, ErrorCode code, String error) {
            this(id, code.wireName(), error);
        }

        public static final String TYPE = "error";

        @Override
        public String type() {
            return TYPE;
        }
    }

    @JsonPropertyOrder({"type", "content", "reconnectAfterMs"})
    record ServerShutdown(String content, long reconnectAfterMs) implements ServerMessage {
        public static final String NOTICE = "Server is shutting down";

        public static final String TYPE = "server_shutdown";

        @Override
        public String type() {
            return TYPE;
        }
    }

    @JsonPropertyOrder({"type", "userId", "connId"})
    record UserJoined(String userId, String connId) implements ServerMessage {
        public static final String TYPE = "user_joined";

        @Override
        public String type() {
            return TYPE;
        }
    }

    @JsonPropertyOrder({"type", "userId", "connId"})
    record UserLeft(String userId, String connId) implements ServerMessage {
        public static final String TYPE = "user_left";

        @Override
        public String type() {
            return TYPE;
        }
    }
}
