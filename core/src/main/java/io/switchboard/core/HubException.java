package io.switchboard.core;

import io.switchboard.protocol.ErrorCode;

/** A command the hub refuses; answered with an error reply, the connection stays open. */
public final class HubException extends Exception {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    /** A room command for a room the connection has not joined. */
    public static HubException notInRoom(String room) {
        return new HubException(ErrorCode.NOT_IN_ROOM, "not in room " + room);
    }

    public HubException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
