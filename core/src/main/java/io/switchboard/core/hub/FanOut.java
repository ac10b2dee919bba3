package io.switchboard.core.hub;

import io.switchboard.core.HubException;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.core.transport.FrameFactory;
import io.switchboard.core.transport.OutboundFrame;
import io.switchboard.protocol.ErrorCode;
import java.util.concurrent.RejectedExecutionException;

/**
 * Delivery of one frame to many connections: framed once, one task per shard that holds recipients,
 * written on the shard's own thread. Thread-safe; the room variants run under the room's monitor.
 */
final class FanOut {
    /** Offset of frames outside a room's numbered history (notices, binary relays). */
    static final long UNNUMBERED = -1;
    private final FrameFactory frames;
    private final HubStats stats;
    private final HubMetrics metrics;

    FanOut(FrameFactory frames, HubStats stats, HubMetrics metrics) {
        this.frames = frames;
        this.stats = stats;
        this.metrics = metrics;
    }

    static void requireCapacity(Room room) throws HubException {
        for (Room.ShardMembers sm : room.shards) {
            if (!sm.shard.hasCapacity()) {
                throw new HubException(ErrorCode.UNAVAILABLE, "server overloaded, retry later");
            }
        }
    }

    /** Frames a payload once and queues one delivery task per shard of the room. Caller holds the monitor. */
    void fanOutLocked(Room room, byte[] json, Connection exclude, long offset) {
        if (room.shards.length == 0) {
            return;
        }
        OutboundFrame frame = frames.text(json);
        try {
            fanOutLocked(room, frame, exclude, offset);
        } finally {
            frame.release();
        }
    }

    void fanOutLocked(Room room, OutboundFrame frame, Connection exclude, long offset) {
        for (Room.ShardMembers sm : room.shards) {
            submit(sm.shard, frame, () -> deliverToMembers(sm, frame, exclude, offset));
        }
    }

    /** Runs on the shard: writes the frame to each member of the room that lives there. */
    private void deliverToMembers(Room.ShardMembers sm, OutboundFrame frame, Connection exclude, long offset) {
        int delivered = 0;
        boolean latestOnly = offset != UNNUMBERED && sm.members.length > 0 && sm.members[0].room.policy.latestOnly();
        for (Membership m : sm.members) {
            if (m.connection == exclude || (offset != UNNUMBERED && m.deliveredThrough >= offset)) {
                continue;
            }
            if (latestOnly && sm.shard.holdsLatest(m, frame)) {
                continue;
            }
            if (sm.shard.deliver(m.connection, frame)) {
                delivered++;
            }
        }
        recordSent(frame, delivered);
    }

    /** Counts a frame that went to {@code delivered} connections. Any thread. */
    void recordSent(OutboundFrame frame, int delivered) {
        recordSent(frame.binary(), delivered, frame.size());
    }

    /**
     * The one place that counts messages sent: in the hub's own totals ({@code /stats}) and in the metrics.
     * Any thread.
     */
    void recordSent(boolean binary, int delivered, int bytes) {
        recordSent(stats, metrics, binary, delivered, bytes);
    }

    /** As the other, for a frame written outside a fan-out task (a held newest message, written on drain). */
    static void recordSent(HubStats stats, HubMetrics metrics, boolean binary, int delivered, int bytes) {
        if (delivered > 0) {
            stats.messagesSent.add(delivered);
            metrics.messagesSent(binary ? HubMetrics.FrameType.BINARY : HubMetrics.FrameType.TEXT, delivered, bytes);
        }
    }

    /** Queues a delivery on a shard holding a reference to the frame until it ran. Thread-safe. */
    void submit(Shard shard, OutboundFrame frame, Runnable delivery) {
        if (!shard.tryReserve()) {
            stats.deliveriesDropped.increment();
            metrics.deliveryDropped();
            return;
        }
        frame.retain();
        try {
            shard.execute(() -> {
                try {
                    delivery.run();
                } finally {
                    frame.release();
                }
            });
        } catch (RejectedExecutionException e) {
            frame.release();
        }
    }
}
