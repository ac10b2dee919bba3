package io.switchboard.protocol;

/**
 * The close codes of protocol v1 (PROTOCOL.md section 6) with what a client should do after each.
 * This is the one table of close codes in the project; servers and clients both read it.
 */
public enum CloseCode {
    NORMAL(1000, "normal closure", Retry.NEVER),
    GOING_AWAY(1001, "going away or heartbeat timeout", Retry.BACKOFF),
    PROTOCOL_ERROR(1002, "protocol error", Retry.NEVER),
    UNSUPPORTED_DATA(1003, "unsupported data", Retry.NEVER),
    INVALID_PAYLOAD(1007, "invalid UTF-8 or payload", Retry.NEVER),
    POLICY_VIOLATION(1008, "policy violation (repeated invalid input)", Retry.NEVER),
    MESSAGE_TOO_BIG(1009, "message too big", Retry.NEVER),
    INTERNAL_ERROR(1011, "internal error", Retry.BACKOFF),
    SERVICE_RESTART(1012, "server restart", Retry.AFTER_HINT),
    TRY_AGAIN_LATER(1013, "try again later (overloaded)", Retry.BACKOFF),
    TOKEN_EXPIRED(4001, "token expired", Retry.REFRESH_TOKEN),
    FORBIDDEN(4003, "forbidden", Retry.NEVER),
    SLOW_CONSUMER(4008, "slow consumer: send queue overflowed", Retry.BACKOFF),
    RATE_LIMITED(4029, "rate limit exceeded repeatedly", Retry.BACKOFF);

    /** What a client does after a close with this code. */
    public enum Retry {
        /** Do not reconnect: the same request would fail again. */
        NEVER,
        /** Reconnect with exponential backoff and jitter, then recover with {@code since}. */
        BACKOFF,
        /** Reconnect after the {@code reconnectAfterMs} of {@code server_shutdown}, then backoff. */
        AFTER_HINT,
        /** Obtain a fresh token, then reconnect. */
        REFRESH_TOKEN
    }

    private final int code;
    private final String reason;
    private final Retry retry;

    CloseCode(int code, String reason, Retry retry) {
        this.code = code;
        this.reason = reason;
        this.retry = retry;
    }

    /** The numeric status code sent in the close frame. */
    public int code() {
        return code;
    }

    /** Short reason text sent in the close frame (at most 123 bytes by RFC 6455 section 5.5). */
    public String reason() {
        return reason;
    }

    public Retry retry() {
        return retry;
    }

    /** The entry for a numeric code, or {@code null} when the table does not know it. */
    public static CloseCode of(int code) {
        for (CloseCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return null;
    }
}
