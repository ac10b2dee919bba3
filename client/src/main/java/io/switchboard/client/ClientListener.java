package io.switchboard.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Connection-level events of a {@link SwitchboardClient}, plus the {@link RoomListener} events of
 * rooms joined without a listener of their own.
 *
 * <p>Threading: called on the client's callback executor (see {@link ClientConfig#callbackExecutor()}),
 * never concurrently for the same client, in the order the events happened; the client's futures
 * complete on the same executor, in the same order. Every method has an empty default. A method
 * that throws is logged to {@code System.err} and does not stop delivery.
 */
public interface ClientListener extends RoomListener {

    /** A listener that ignores everything. */
    ClientListener NONE = new ClientListener() {
    };

    /** The state changed (see {@link ConnectionState} for the transitions). */
    default void onStateChange(ConnectionState state) {
    }

    /**
     * A connection was established and the server's {@code welcome} arrived. {@code reconnect} is
     * {@code true} for every connection after the first; rooms are being rejoined when this runs.
     */
    default void onConnected(Welcome welcome, boolean reconnect) {
    }

    /** A connection ended; {@link Disconnect#reconnecting()} says whether another attempt follows. */
    default void onDisconnected(Disconnect disconnect) {
    }

    /**
     * The server announced a graceful shutdown ({@code server_shutdown}); the client reconnects
     * after {@code reconnectAfterMs} once the close frame arrives.
     */
    default void onServerShutdown(long reconnectAfterMs) {
    }

    /** A private message to this user, or a broadcast. */
    default void onDirectMessage(DirectMessage message) {
    }

    /** A binary frame (PROTOCOL.md section 7), copied out of the network buffer. */
    default void onBinary(byte[] frame) {
    }

    /** An {@code error} that answered no pending request (e.g. an error to a command without {@code id}). */
    default void onError(ServerError error) {
    }

    /**
     * Every JSON message from the server, as parsed, before the client routes it: a tap for
     * terminals, logs and tools that want to see the raw protocol (echo replies, pongs, global
     * presence, types this client does not know).
     */
    default void onServerMessage(JsonNode message) {
    }
}
