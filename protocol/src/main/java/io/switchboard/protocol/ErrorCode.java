package io.switchboard.protocol;

/**
 * Error codes carried by {@code {"type":"error","code":...}} (PROTOCOL.md section 4). An error never
 * closes the connection by itself.
 */
public enum ErrorCode {
    INVALID_JSON("invalid_json", "the frame is not a JSON object"),
    MISSING_TYPE("missing_type", "the command has no string \"type\""),
    UNKNOWN_TYPE("unknown_type", "the command type is not part of the protocol"),
    INVALID_FIELD("invalid_field", "a field is missing, has the wrong type or breaks its rule"),
    NOT_IN_ROOM("not_in_room", "the connection has not joined the room"),
    USER_NOT_FOUND("user_not_found", "no connection of the user is online"),
    FORBIDDEN("forbidden", "the credentials do not allow this"),
    RATE_LIMITED("rate_limited", "too many messages; slow down"),
    ROOM_FULL("room_full", "the room has reached its member limit"),
    PRESENCE_DISABLED("presence_disabled", "the room's namespace has presence off"),
    TOO_MANY_ROOMS("too_many_rooms", "the connection has joined the maximum number of rooms"),
    MESSAGE_TOO_LARGE("message_too_large", "the message exceeds the size limit"),
    UNAVAILABLE("unavailable", "a backing service is unavailable; retry later"),
    INTERNAL("internal", "the server failed to process the command");

    private final String wireName;
    private final String meaning;

    ErrorCode(String wireName, String meaning) {
        this.wireName = wireName;
        this.meaning = meaning;
    }

    /** The code as it appears on the wire. */
    public String wireName() {
        return wireName;
    }

    /** What the code means, for documentation and default error texts. */
    public String meaning() {
        return meaning;
    }

    @Override
    public String toString() {
        return wireName;
    }
}
