package io.switchboard.server.websocket;

import io.switchboard.core.CommandHandler;
import io.switchboard.core.Hub;
import io.switchboard.core.limit.SecurityCounters;

/**
 * What every connection's WebSocket stages share, built once per server by {@link WebSocketPipeline}: one
 * reference per connection instead of a field per setting. Immutable.
 *
 * @param pipeline reshapes the connection's pipeline once its handshake completed
 * @param onClosed called once per connection when its channel closes (gives back its global slot)
 * @param maxQueuedBytes {@code websocket.maxQueuedBytes}
 * @param pressureQueuedBytes queued bytes above which a connection is closed while direct memory is low
 * @param expiryGraceMillis grace after a token's {@code exp} before close 4001, the skew the handshake tolerates
 */
record WebSocketContext(Hub hub, CommandHandler commands, BinaryOps binaryOps, WebSocketPipeline pipeline,
                        SecurityCounters counters, Runnable onClosed, int maxQueuedBytes, int pressureQueuedBytes,
                        int maxMessageBytes, long expiryGraceMillis) {
}
