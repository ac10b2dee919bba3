package io.switchboard.server.websocket;

import io.switchboard.core.command.CommandHandler;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.limit.SecurityCounters;
import io.switchboard.server.observability.InboundMessages;

/**
 * What every connection's inbound handler shares, built once per server by {@link WebSocketPipeline}: one
 * reference per connection instead of a field per setting. Immutable.
 *
 * @param afterHandshake reshapes the connection's pipeline once its handshake completed
 * @param session what the connection's {@link NettySession} shares
 * @param onClosed called once per connection when its channel closes (gives back its global slot)
 * @param maxMessageBytes {@code websocket.maxMessageBytes}
 * @param expiryGraceMillis grace after a token's {@code exp} before close 4001, the skew the handshake tolerates
 * @param messages what replaces the command handler and binary ops for whole messages, or null (production)
 */
record WebSocketContext(Hub hub, CommandHandler commands, BinaryOps binaryOps, AfterHandshake afterHandshake,
                        SessionSettings session, SecurityCounters counters, Runnable onClosed, int maxMessageBytes,
                        long expiryGraceMillis, InboundMessages messages) {
}
