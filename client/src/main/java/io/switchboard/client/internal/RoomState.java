package io.switchboard.client.internal;

import io.switchboard.client.RoomJoined;
import io.switchboard.client.RoomListener;
import io.switchboard.protocol.Command;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One room a client is in or joining, and the bookkeeping behind exactly-once, in-order delivery
 * across reconnects: the last offset delivered and the epoch it belongs to.
 *
 * <p>Confined to the client's event loop.
 */
final class RoomState {
    final String name;
    /** Receives this room's events. */
    RoomListener listener;
    /** Epoch of the last room_joined; null until the first one (so the first join has no since). */
    String epoch;
    /** Highest offset delivered to the application (or the room's offset at join); -1 before any. */
    long lastOffset = -1;
    /** True once the server confirmed a join of this room. */
    boolean confirmed;
    /** The join or rejoin waiting for its room_joined, or null. */
    PendingRequest<?> pendingJoin;
    /** Application futures waiting for the next room_joined. */
    final List<CompletableFuture<RoomJoined>> waiters = new ArrayList<>();

    RoomState(String name) {
        this.name = name;
    }

    /**
     * The {@code since} of a join: the last offset delivered, in its epoch, once a previous join told us
     * where the history stands; null for the first join.
     */
    Command.Since since() {
        return epoch == null ? null : new Command.Since(lastOffset, epoch);
    }

    /**
     * Whether a room message with this offset is new to the application. Offsets at or below the
     * last delivered one are the overlap of a replay with what arrived before the reconnect.
     */
    boolean accept(long offset) {
        if (epoch != null && offset <= lastOffset) {
            return false;
        }
        lastOffset = Math.max(lastOffset, offset);
        return true;
    }

    /**
     * Applies a {@code room_joined}; returns true when messages may have been missed: the server
     * said {@code recovered:false}, or said {@code recovered:true} but its offset is ahead of the
     * last message it replayed to us.
     */
    boolean joined(RoomJoined joined) {
        boolean recoveryFailed = false;
        if (joined.recovered() == null) {
            lastOffset = Math.max(lastOffset, joined.offset());
        } else if (!joined.recovered()) {
            lastOffset = joined.offset(); // a new epoch (or a gap): offsets continue from here
            recoveryFailed = true;
        } else if (lastOffset < joined.offset()) {
            lastOffset = joined.offset();
            recoveryFailed = true;
        }
        epoch = joined.epoch();
        confirmed = true;
        pendingJoin = null;
        return recoveryFailed;
    }
}
