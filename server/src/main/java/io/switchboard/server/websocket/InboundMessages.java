package io.switchboard.server.websocket;

import io.netty.buffer.ByteBuf;

/**
 * What happens to a complete inbound text or binary message, in place of the command handler (text) and
 * the binary ops (binary). An embedding hook, reachable only from code through
 * {@link io.switchboard.server.observability.Instrumentation#withInboundMessages}: no configuration key
 * or flag selects it. Everything before it is the production path: HTTP stages, router, upgrade guard,
 * WebSocket stages, UTF-8 validation, fragment joining under {@code websocket.maxMessageBytes}.
 *
 * <p>Called on the connection's event loop, never concurrently for one session, after the handshake
 * and before the session closes. Must not block.
 */
@FunctionalInterface
public interface InboundMessages {
    /**
     * Handles one complete message.
     *
     * @param session the connection's session, to reply through ({@link NettySession#sendMessage})
     * @param text true for a text message (valid UTF-8), false for binary
     * @param content the payload, lent for the call: retain it to keep it
     */
    void onMessage(NettySession session, boolean text, ByteBuf content);
}
