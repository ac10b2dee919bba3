package io.switchboard.server.observability;

import io.netty.buffer.ByteBuf;

/**
 * What happens to a complete inbound text or binary message, in place of the command handler (text) and
 * the binary ops (binary): the embedding hook the conformance run echoes with. Reachable only from code,
 * through {@link Instrumentation#withInboundMessages}: no configuration key or flag selects it. Everything
 * before it is the production path: HTTP stages, router, upgrade guard, WebSocket stages, inflation, UTF-8
 * validation, fragment joining under {@code websocket.maxMessageBytes}; the connection is registered with
 * the hub (heartbeat, close handshake, limits) but gets no {@code welcome}, since the hook speaks its own
 * protocol. It lives here, beside the other embedding hooks, so that the transports depend on it and not
 * the other way round.
 *
 * <p>Called on the connection's event loop, never concurrently for one connection, after the handshake and
 * before the connection closes. Must not block.
 */
@FunctionalInterface
public interface InboundMessages {
    /**
     * Handles one complete message.
     *
     * @param replies the connection, to answer through
     * @param text true for a text message (valid UTF-8), false for binary
     * @param content the payload, lent for the call: retain it to keep it
     */
    void onMessage(Replies replies, boolean text, ByteBuf content);

    /** A connection as {@link InboundMessages} sees it. Event loop only. */
    interface Replies {
        /**
         * Sends one text or binary message through the connection's frame encoder (and compressor, when
         * negotiated), under the connection's outbound cap; takes ownership of {@code payload}.
         *
         * @return false, with {@code payload} released, when the message was refused
         */
        boolean sendMessage(boolean text, ByteBuf payload);
    }
}
