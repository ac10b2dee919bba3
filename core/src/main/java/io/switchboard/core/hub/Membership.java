package io.switchboard.core.hub;

import io.switchboard.core.transport.OutboundFrame;

/**
 * One connection's membership of one room. Confined to the connection's shard thread.
 *
 * <p>{@link #deliveredThrough} is the offset up to which the member already has the room's messages
 * (from the join snapshot or a replay): a delivery task for an older offset, queued before the join,
 * skips this member, so a message is never delivered twice.
 */
final class Membership {
    final Connection connection;
    final Room room;
    final long deliveredThrough;
    /**
     * {@code delivery: latest}: the room's newest message, held while the connection's writes are backed up
     * (a newer one replaces it), written when they drain; null when none is held.
     */
    OutboundFrame heldLatest;

    Membership(Connection connection, Room room, long deliveredThrough) {
        this.connection = connection;
        this.room = room;
        this.deliveredThrough = deliveredThrough;
    }
}
