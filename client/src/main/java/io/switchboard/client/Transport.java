package io.switchboard.client;

/**
 * How a client reaches the server. Both speak the same protocol (docs/protocol.md), so the client's API,
 * ordering, recovery and limits are the same on either.
 */
public enum Transport {
    /** A WebSocket only (the default). */
    WEBSOCKET,
    /**
     * HTTP streaming only (protocol section 11): one long {@code GET /stream} response carries the server's
     * messages, each command is a {@code POST /stream/send}. For networks whose proxies refuse or break the
     * WebSocket upgrade. Binary frames need a WebSocket: {@code sendBinary} fails.
     */
    HTTP_STREAMING,
    /** A WebSocket first; when its upgrade is refused or never completes, HTTP streaming from then on. */
    AUTO
}
