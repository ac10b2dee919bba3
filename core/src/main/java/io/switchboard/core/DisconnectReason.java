package io.switchboard.core;

/** Why a connection ended, for logs and metrics. */
public enum DisconnectReason {
    CLIENT_CLOSE("client_close"),
    HEARTBEAT_TIMEOUT("heartbeat_timeout"),
    SLOW_CONSUMER("slow_consumer"),
    RATE_LIMITED("rate_limited"),
    TOKEN_EXPIRED("token_expired"),
    POLICY("policy"),
    KICKED("kicked"),
    SERVER_SHUTDOWN("server_shutdown"),
    /** The room's history was lost or skipped offsets this node cannot fill: the client must resync. */
    RESYNC("resync"),
    ERROR("error");

    private final String label;

    DisconnectReason(String label) {
        this.label = label;
    }

    /** The label used in logs and metrics. */
    public String label() {
        return label;
    }
}
