package io.switchboard.core.hub;

import io.switchboard.core.DisconnectReason;
import io.switchboard.core.transport.OutboundFrame;
import io.switchboard.core.transport.Session;
import io.switchboard.protocol.CloseCode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One executor's share of the hub: the connections that live on it, their heartbeat state, its flush
 * batch ({@link FlushBatcher}) and its bound on queued delivery tasks. Confined to the executor's thread
 * except {@link #tryReserve}, {@link #execute} and {@link #connectionCount()}, which are thread-safe.
 */
public final class Shard {
    private static final Logger log = LoggerFactory.getLogger(Shard.class);
    private final Executor executor;
    private final int maxPending;
    private final HubContext ctx;
    /** Closes a connection of this shard; called on the shard's thread. */
    private final MemberCloser closer;
    private final FlushBatcher flushes;
    /** Delivery tasks queued and not yet run; bounded by {@link #maxPending}. */
    private final AtomicInteger pending = new AtomicInteger();
    /** Connections on this shard, for broadcasts and heartbeats. Shard thread only. */
    private final ArrayList<Connection> connections = new ArrayList<>();
    /*
     * The heartbeat state of connections.get(i), at index i of three arrays: when the peer last sent
     * anything, when it was last pinged, and since when its writes have been backlogged (0: they are not).
     * The once-a-second sweep streams through these instead of dereferencing a connection and its
     * session per entry; with 9,500 idle connections per loop those cache misses were a third of the
     * server's idle CPU. Shard thread only.
     */
    private long[] lastActivity = new long[16];
    private long[] lastPing = new long[16];
    private long[] backloggedSince = new long[16];
    /** A backlogged connection's pending bytes at the last sweep (or when it became backlogged). */
    private long[] pendingAtSweep = new long[16];
    /** Mirrors {@code connections.size()} for other threads. */
    private volatile int connectionCount;

    Shard(Executor executor, int maxPending, HubContext ctx, MemberCloser closer) {
        this.executor = executor;
        this.maxPending = maxPending;
        this.ctx = ctx;
        this.closer = closer;
        this.flushes = new FlushBatcher(executor, ctx, ctx.config().hub().flushInterval().toNanos(),
                ctx.config().hub().maxFlushDelay().toNanos(),
                (c, e) -> failed(c, "flushing", e));
    }

    public Executor executor() {
        return executor;
    }

    public int connectionCount() {
        return connectionCount;
    }

    /** How long this shard lets fan-out frames gather before a flush now (0: flushed at once). Thread-safe. */
    public long flushDelayNanos() {
        return flushes.intervalNanos();
    }

    /** Delivery tasks waiting on this shard. */
    public int pendingTasks() {
        return pending.get();
    }

    /** Whether another delivery task fits under the bound. Thread-safe; a soft check before publishing. */
    boolean hasCapacity() {
        return pending.get() < maxPending;
    }

    /** Reserves a slot for a delivery task; false when the shard is at its bound. Thread-safe. */
    boolean tryReserve() {
        if (pending.incrementAndGet() > maxPending) {
            pending.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Runs a delivery task that holds a reserved slot, releasing the slot when done. Thread-safe. */
    void execute(Runnable delivery) {
        try {
            executor.execute(() -> {
                pending.decrementAndGet();
                delivery.run();
            });
        } catch (RejectedExecutionException e) {
            // The executor is shutting down: nothing on it will run again.
            pending.decrementAndGet();
            throw e;
        }
    }

    /** Writes a frame to a connection of this shard and puts it in the flush batch. Shard thread. */
    boolean deliver(Connection c, OutboundFrame frame) {
        if (c.removed || !write(c, frame)) {
            return false;
        }
        if (!c.dirty) {
            c.dirty = true;
            flushes.written(c);
        }
        return true;
    }

    /**
     * Hands a frame to the connection's session. A session that throws (a bug: a full queue returns false)
     * costs only its own connection, closed with 1011: the fan-out goes on to the other members instead of
     * ending in the event loop's log with the rest of the room skipped.
     */
    private boolean write(Connection c, OutboundFrame frame) {
        try {
            return c.session().write(frame);
        } catch (RuntimeException e) {
            failed(c, "writing to", e);
            return false;
        }
    }

    private void failed(Connection c, String doing, RuntimeException e) {
        log.error("closing {}: {} it failed", c, doing, e);
        try {
            closer.close(c, CloseCode.INTERNAL_ERROR, "internal error", DisconnectReason.ERROR);
        } catch (RuntimeException again) {
            log.error("closing {} failed too", c, again);
        }
    }

    /**
     * Writes a frame to every connection on this shard registered up to {@code registeredThrough}
     * (a {@link Connection#sequence()}), except {@code exclude}. Shard thread.
     */
    int deliverToAll(OutboundFrame frame, Connection exclude, long registeredThrough) {
        int delivered = 0;
        // Iterate a snapshot: a slow-consumer close during the loop removes from the list.
        Connection[] snapshot = connections.toArray(new Connection[0]);
        for (Connection c : snapshot) {
            if (c != exclude && c.sequence() <= registeredThrough && deliver(c, frame)) {
                delivered++;
            }
        }
        return delivered;
    }

    void add(Connection c) {
        int i = connections.size();
        if (i == lastActivity.length) {
            int capacity = i + (i >> 1);
            lastActivity = Arrays.copyOf(lastActivity, capacity);
            lastPing = Arrays.copyOf(lastPing, capacity);
            backloggedSince = Arrays.copyOf(backloggedSince, capacity);
            pendingAtSweep = Arrays.copyOf(pendingAtSweep, capacity);
            flushes.grow(capacity);
        }
        c.shardIndex = i;
        connections.add(c);
        lastActivity[i] = c.connectedAtNanos();
        lastPing[i] = c.connectedAtNanos();
        backloggedSince[i] = 0;
        flushes.added(i);
        connectionCount = connections.size();
    }

    void remove(Connection c) {
        int i = c.shardIndex;
        if (i < 0) {
            return;
        }
        int lastIndex = connections.size() - 1;
        Connection last = connections.remove(lastIndex);
        if (last != c) {
            connections.set(i, last);
            last.shardIndex = i;
            lastActivity[i] = lastActivity[lastIndex];
            lastPing[i] = lastPing[lastIndex];
            backloggedSince[i] = backloggedSince[lastIndex];
            pendingAtSweep[i] = pendingAtSweep[lastIndex];
            flushes.moved(lastIndex, i);
        }
        c.shardIndex = -1;
        connectionCount = connections.size();
    }

    /** Records inbound traffic on a connection of this shard. */
    void touched(Connection c, long nowNanos) {
        if (c.shardIndex >= 0) {
            lastActivity[c.shardIndex] = nowNanos;
        }
    }

    /** Records that a connection's writes became backlogged ({@code sinceNanos}) or drained (0). */
    void backlogged(Connection c, long sinceNanos) {
        if (c.shardIndex >= 0) {
            backloggedSince[c.shardIndex] = sinceNanos;
            pendingAtSweep[c.shardIndex] = sinceNanos == 0 ? 0 : c.session().pendingBytes();
        }
        ctx.throttle().backlogged(c, sinceNanos != 0);
        if (sinceNanos == 0 && c.heldLatest > 0) {
            writeHeldLatest(c);
        }
    }

    /**
     * {@code delivery: latest}: instead of writing a room's message to a member whose writes are backed up,
     * holds it as the member's newest of that room, replacing (and releasing) an older one held. True when
     * held. Shard thread.
     */
    boolean holdsLatest(Membership m, OutboundFrame frame) {
        Connection c = m.connection;
        if (c.removed || c.shardIndex < 0 || backloggedSince[c.shardIndex] == 0) {
            return false;
        }
        frame.retain();
        if (m.heldLatest != null) {
            m.heldLatest.release();
            ctx.metrics().latestReplaced();
        } else {
            c.heldLatest++;
        }
        m.heldLatest = frame;
        return true;
    }

    /** The connection's writes drained: writes the newest message held for each of its latest rooms. */
    private void writeHeldLatest(Connection c) {
        for (Membership m : c.rooms) {
            if (m.heldLatest == null) {
                continue;
            }
            if (c.removed || backloggedSince[c.shardIndex] != 0) {
                return; // backed up again: the rest stay held until the next drain
            }
            OutboundFrame frame = m.heldLatest;
            m.heldLatest = null;
            c.heldLatest--;
            try {
                if (deliver(c, frame)) {
                    FanOut.recordSent(ctx.stats(), ctx.metrics(), frame.binary(), 1, frame.size());
                }
            } finally {
                frame.release();
            }
        }
    }

    /** Releases what a membership ending holds. Shard thread. */
    static void dropHeld(Membership m) {
        if (m.heldLatest != null) {
            m.heldLatest.release();
            m.heldLatest = null;
            m.connection.heldLatest--;
        }
    }

    /**
     * Heartbeat and write-wait sweep; the server runs it periodically on the shard's thread. Pings every
     * connection whose last ping is {@code pingInterval} old, closes with 1001 those silent for
     * {@code pongTimeout}, and with 4008 those whose writes stayed backlogged for {@code writeWait}.
     */
    public void tick() {
        long now = ctx.time().nanoTime();
        long pingInterval = ctx.config().websocket().pingInterval().toNanos();
        long pongTimeout = ctx.config().websocket().pongTimeout().toNanos();
        long writeWait = ctx.config().websocket().writeWait().toNanos();
        // Backwards: a close removes the current element by swapping in the last, already visited one.
        for (int i = connections.size() - 1; i >= 0; i--) {
            if (i >= connections.size()) {
                continue;
            }
            if (now - lastActivity[i] > pongTimeout) {
                closer.close(connections.get(i), CloseCode.GOING_AWAY, "heartbeat timeout",
                        DisconnectReason.HEARTBEAT_TIMEOUT);
            } else if (backloggedSince[i] != 0 && stalledNanos(i, now) > writeWait) {
                closer.close(connections.get(i), CloseCode.SLOW_CONSUMER, "write wait exceeded",
                        DisconnectReason.SLOW_CONSUMER);
            } else if (now - lastPing[i] >= pingInterval) {
                lastPing[i] = now;
                connections.get(i).session().ping();
            }
        }
    }

    /**
     * How long the backlogged connection at {@code i} has taken nothing: its wait starts again whenever its pending
     * bytes fell since the last sweep, or from when its kernel last sent the peer data where the transport can tell
     * ({@link Session#millisSincePeerTook}). A member that reads slower than its rooms publish (one of a
     * {@code delivery: latest} room, or a publisher's room under {@code throttle}) stays backlogged for as long as
     * it lags, and is not the dead reader {@code websocket.writeWait} is there to cut.
     */
    private long stalledNanos(int i, long now) {
        Session session = connections.get(i).session();
        long pending = session.pendingBytes();
        if (pending < pendingAtSweep[i]) {
            backloggedSince[i] = Math.max(1, now);
        } else {
            long tookMillisAgo = session.millisSincePeerTook();
            long took = now - TimeUnit.MILLISECONDS.toNanos(tookMillisAgo);
            if (tookMillisAgo >= 0 && took > backloggedSince[i]) {
                backloggedSince[i] = Math.max(1, took);
            }
        }
        pendingAtSweep[i] = pending;
        return now - backloggedSince[i];
    }
}
