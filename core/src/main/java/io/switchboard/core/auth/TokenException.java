package io.switchboard.core.auth;

/** A credential was refused; the message is short, safe to send back to the client and to log. */
public final class TokenException extends Exception {
    private static final long serialVersionUID = 1L;
    /** Longest message sent back: a refusal must not echo a large attacker-chosen value. */
    private static final int MAX_MESSAGE_CHARS = 160;
    /** The message of a token past its {@code exp} (plus clock skew): {@code invalid token: expired} at the door. */
    public static final String EXPIRED = "expired";

    public TokenException(String message) {
        super(message.length() > MAX_MESSAGE_CHARS ? message.substring(0, MAX_MESSAGE_CHARS) + "…" : message,
                null, false, false);
    }
}
