package io.switchboard.server.websocket;

import io.switchboard.core.hub.Hub;
import io.switchboard.server.buffer.OutboundLimit;

/**
 * What every {@link NettySession} shares, built once per server: one reference per connection instead of a
 * field per setting. Immutable.
 *
 * @param hub closes a slow consumer and counts what is sent
 * @param limit the cap of every write ({@code websocket.maxQueuedBytes}, and less while direct memory is low)
 */
record SessionSettings(Hub hub, OutboundLimit limit) {
}
