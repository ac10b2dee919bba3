package io.switchboard.protocol;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A command that cannot be accepted. Carries the error code, a human-readable text and, when the
 * offending command had a valid {@code id}, that id so the error reply can be correlated.
 */
public final class ProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final transient JsonNode id;

    public ProtocolException(ErrorCode code, String message, JsonNode id) {
        super(message, null, false, false);
        this.code = code;
        this.id = id;
    }

    public ErrorCode code() {
        return code;
    }

    /** The command's id, or {@code null}. */
    public JsonNode id() {
        return id;
    }

    /** The error reply for this exception. */
    public ServerMessage.Error toReply() {
        return new ServerMessage.Error(id, code.wireName(), getMessage());
    }
}
