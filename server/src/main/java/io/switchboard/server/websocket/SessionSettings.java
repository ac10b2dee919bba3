package io.switchboard.server.websocket;

import io.switchboard.core.hub.Hub;

/**
 * What every {@link NettySession} shares, built once per server: one reference per connection instead of a
 * field per setting. Immutable.
 *
 * @param hub closes a slow consumer and counts what is sent
 * @param maxQueuedBytes {@code websocket.maxQueuedBytes}
 * @param pressureQueuedBytes queued bytes above which a connection is closed while direct memory is low
 */
record SessionSettings(Hub hub, int maxQueuedBytes, int pressureQueuedBytes) {
}
