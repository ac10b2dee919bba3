package io.switchboard.core.hub;

import io.switchboard.core.HubException;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.protocol.ErrorCode;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code hub.overloadPolicy: throttle}: backpressure from a room's members to its publishers, instead of
 * closing the members that fall behind.
 *
 * <p>A room is backed up while one of its members here has backlogged writes (its channel above the
 * write-buffer high-water mark) or one of the event loops holding its members has more than a sixteenth of
 * {@code hub.maxPendingFanouts} deliveries queued. A client that publishes into a backed-up room has its
 * reads paused: its next messages wait in its own socket (TCP pushes back to it) until the room drains,
 * checked every {@value #RECHECK_MILLIS} ms on the publisher's loop. The API, which cannot be paused, gets
 * {@code unavailable} (503 with {@code Retry-After}). Members are counted as backlogged per room on each
 * change of their state, so a publish costs one read per shard of the room, not one per member. Messages
 * from other nodes cannot be paused here; their own nodes throttle their publishers.
 *
 * <p>Thread-safe: per-room counts are atomic; a connection's paused state is confined to its shard's thread.
 */
final class Throttle {
    static final long RECHECK_MILLIS = 5;
    private final boolean on;
    /** Deliveries queued on a loop above which its rooms count as backed up. */
    private final int busyTasks;
    private final HubMetrics metrics;
    /** Connections whose reads are paused now. */
    private final AtomicInteger paused = new AtomicInteger();

    Throttle(boolean on, int maxPendingFanouts, HubMetrics metrics) {
        this.on = on;
        this.busyTasks = Math.max(1, maxPendingFanouts / 16);
        this.metrics = metrics;
    }

    /** Connections whose reads are paused now. Thread-safe. */
    int pausedPublishers() {
        return paused.get();
    }

    boolean backedUp(Room room) {
        if (room.backloggedMembers.get() > 0) {
            return true;
        }
        for (Room.ShardMembers sm : room.shards) {
            if (sm.shard.pendingTasks() > busyTasks) {
                return true;
            }
        }
        return false;
    }

    /** The API's publish into a room (null: no members here): refused while it is backed up. Any thread. */
    void admit(Room room) throws HubException {
        if (on && room != null && backedUp(room)) {
            metrics.publishThrottled(false);
            throw new HubException(ErrorCode.UNAVAILABLE, "room " + room.name + " is backed up: its members "
                    + "are behind on its messages; retry shortly");
        }
    }

    /** A client published into {@code room}: pauses its reads while the room is backed up. Shard thread. */
    void published(Connection c, Room room) {
        if (!on || c.throttledOn != null || !backedUp(room)) {
            return;
        }
        c.throttledOn = room;
        paused.incrementAndGet();
        metrics.publishThrottled(true);
        c.session().pauseReading(true);
        recheckLater(c);
    }

    private void recheckLater(Connection c) {
        Executor executor = c.shard().executor();
        try {
            if (executor instanceof ScheduledExecutorService scheduler) {
                scheduler.schedule(() -> recheck(c), RECHECK_MILLIS, TimeUnit.MILLISECONDS);
            } else {
                // An executor without timers (tests): resume at the next turn rather than never.
                executor.execute(() -> resume(c));
            }
        } catch (RejectedExecutionException e) {
            resume(c); // the loop is shutting down; the connection goes with it
        }
    }

    private void recheck(Connection c) {
        if (c.throttledOn == null) {
            return;
        }
        if (!c.removed && !c.throttledOn.removed && backedUp(c.throttledOn)) {
            recheckLater(c);
        } else {
            resume(c);
        }
    }

    private void resume(Connection c) {
        if (c.throttledOn == null) {
            return;
        }
        c.throttledOn = null;
        paused.decrementAndGet();
        if (!c.removed) {
            c.session().pauseReading(false);
        }
    }

    /** A connection's writes became backlogged or drained: counted in each of its rooms. Shard thread. */
    void backlogged(Connection c, boolean backlogged) {
        if (!on || c.backloggedInRooms == backlogged) {
            return;
        }
        c.backloggedInRooms = backlogged;
        int delta = backlogged ? 1 : -1;
        for (Membership m : c.rooms) {
            m.room.backloggedMembers.addAndGet(delta);
        }
    }

    /** A connection became a member of {@code room}. Shard thread. */
    void joined(Connection c, Room room) {
        if (c.backloggedInRooms) {
            room.backloggedMembers.incrementAndGet();
        }
    }

    /** A connection stopped being a member of {@code room}. Shard thread. */
    void left(Connection c, Room room) {
        if (c.backloggedInRooms) {
            room.backloggedMembers.decrementAndGet();
        }
    }
}
