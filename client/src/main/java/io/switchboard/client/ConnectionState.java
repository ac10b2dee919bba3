package io.switchboard.client;

/**
 * Lifecycle of a {@link SwitchboardClient}. A client moves {@code NEW → CONNECTING → CONNECTED},
 * then between {@code CONNECTED} and {@code RECONNECTING} as connections drop and come back, and
 * ends in {@code CLOSED}, which is final.
 */
public enum ConnectionState {
    /** Created, {@link SwitchboardClient#connect()} not called yet. */
    NEW,
    /** First connection attempt in progress (TCP, TLS, upgrade, waiting for {@code welcome}). */
    CONNECTING,
    /** {@code welcome} received; commands are sent as they come. */
    CONNECTED,
    /** The connection dropped; waiting out the backoff or attempting the next connection. */
    RECONNECTING,
    /** {@link SwitchboardClient#close()} was called, or the server refused further connections. Final. */
    CLOSED
}
