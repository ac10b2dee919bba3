package io.switchboard.core.transport;

/**
 * One message framed once by the transport for many recipients (a WebSocket frame in the server).
 * Reference-counted: created with one reference; each holder that keeps it past the current call
 * retains it and releases it when done. Thread-safe.
 */
public interface OutboundFrame {
    /** Payload size in bytes, used for accounting and limits. */
    int size();

    /** Whether this is a binary frame (a relayed binary publish) rather than a text frame. */
    default boolean binary() {
        return false;
    }

    OutboundFrame retain();

    void release();
}
