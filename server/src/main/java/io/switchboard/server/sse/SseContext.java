package io.switchboard.server.sse;

import io.switchboard.core.command.CommandHandler;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.limit.SecurityCounters;
import io.switchboard.server.buffer.OutboundLimit;

/**
 * What every event stream shares, built once per server by {@link SseEndpoint}. Immutable.
 *
 * @param commands joins the stream's rooms, as a {@code join_room} from a WebSocket would (grants, replay)
 * @param limit the cap of every write ({@code websocket.maxQueuedBytes})
 * @param onClosed called once per stream when its channel closes (gives back its global slot)
 * @param expiryGraceMillis grace after a token's {@code exp} before the stream is closed with 4001
 */
record SseContext(Hub hub, CommandHandler commands, OutboundLimit limit, SecurityCounters counters, Runnable onClosed,
                  long expiryGraceMillis) {
}
