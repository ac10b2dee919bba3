package io.switchboard.core;

import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.protocol.CloseCode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One executor's share of the hub: the connections that live on it, its flush batch and its bound on
 * queued delivery tasks. Confined to the executor's thread except {@link #tryReserve}, {@link #execute}
 * and {@link #connectionCount()}, which are thread-safe.
 *
 * <p>Flush coalescing: a delivery writes without flushing and marks the connection dirty; the first
 * dirty connection schedules one flush task behind the deliveries already queued, so a burst of messages
 * to one socket leaves in one syscall instead of one per frame.
 */
public final class Shard {
    private static final Logger log = LoggerFactory.getLogger(Shard.class);
    private final Executor executor;
    private final int maxPending;
    private final Hub hub;
    private final long flushIntervalNanos;
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
    /** Connections written since the last flush. Shard thread only. */
    private final ArrayList<Connection> dirty = new ArrayList<>();
    private final Runnable flushTask = this::flushDirty;
    /** When the first connection of the current batch became dirty, for {@link HubMetrics#fanoutFlushed}. */
    private long batchStartNanos;
    /** When the last flush ended; with {@code hub.flushInterval}, the next one waits that long after it. */
    private long lastFlushEndNanos;
    /** Mirrors {@code connections.size()} for other threads. */
    private volatile int connectionCount;

    Shard(Executor executor, int maxPending, Hub hub) {
        this.executor = executor;
        this.maxPending = maxPending;
        this.hub = hub;
        this.flushIntervalNanos = hub.config().hub().flushInterval().toNanos();
        // As if the last flush ended an interval ago: the first one goes at once whatever the clock's origin
        // (nanoTime may be negative; only differences of it mean anything).
        this.lastFlushEndNanos = hub.time().nanoTime() - flushIntervalNanos;
    }

    public Executor executor() {
        return executor;
    }

    public int connectionCount() {
        return connectionCount;
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
            if (dirty.isEmpty()) {
                scheduleFlush();
            }
            dirty.add(c);
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

    /**
     * Queues the flush of a new batch: at once, or, with {@code hub.flushInterval}, once that long has
     * passed since the last flush ended. A busy loop then rests between flushes instead of starting the
     * next one as soon as it is free, and each write carries what arrived meanwhile: fewer system calls
     * per delivery, at up to the interval (plus the flush itself) of added latency.
     */
    private void scheduleFlush() {
        long now = hub.time().nanoTime();
        batchStartNanos = now;
        long wait = lastFlushEndNanos + flushIntervalNanos - now;
        if (flushIntervalNanos > 0 && wait > 0 && executor instanceof ScheduledExecutorService scheduler) {
            scheduler.schedule(flushTask, wait, TimeUnit.NANOSECONDS);
        } else {
            executor.execute(flushTask);
        }
    }

    private void flushDirty() {
        for (int i = 0; i < dirty.size(); i++) {
            Connection c = dirty.get(i);
            c.dirty = false;
            if (!c.removed) {
                // Guarded like write: a throw here would also leave the batch uncleared, and with it
                // every later delivery on this shard unflushed.
                try {
                    c.session().flush();
                } catch (RuntimeException e) {
                    failed(c, "flushing", e);
                }
            }
        }
        dirty.clear();
        lastFlushEndNanos = hub.time().nanoTime();
        hub.metrics().fanoutFlushed(lastFlushEndNanos - batchStartNanos);
    }

    private void failed(Connection c, String doing, RuntimeException e) {
        log.error("closing {}: {} it failed", c, doing, e);
        try {
            hub.close(c, CloseCode.INTERNAL_ERROR, "internal error", DisconnectReason.ERROR);
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
        }
        c.shardIndex = i;
        connections.add(c);
        lastActivity[i] = c.connectedAtNanos();
        lastPing[i] = c.connectedAtNanos();
        backloggedSince[i] = 0;
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
        }
    }

    /**
     * Heartbeat and write-wait sweep; the server runs it periodically on the shard's thread. Pings every
     * connection whose last ping is {@code pingInterval} old, closes with 1001 those silent for
     * {@code pongTimeout}, and with 4008 those whose writes stayed backlogged for {@code writeWait}.
     */
    public void tick() {
        long now = hub.time().nanoTime();
        long pingInterval = hub.config().websocket().pingInterval().toNanos();
        long pongTimeout = hub.config().websocket().pongTimeout().toNanos();
        long writeWait = hub.config().websocket().writeWait().toNanos();
        // Backwards: a close removes the current element by swapping in the last, already visited one.
        for (int i = connections.size() - 1; i >= 0; i--) {
            if (i >= connections.size()) {
                continue;
            }
            long backlogged = backloggedSince[i];
            if (now - lastActivity[i] > pongTimeout) {
                hub.close(connections.get(i), CloseCode.GOING_AWAY, "heartbeat timeout",
                        DisconnectReason.HEARTBEAT_TIMEOUT);
            } else if (backlogged != 0 && now - backlogged > writeWait) {
                hub.close(connections.get(i), CloseCode.SLOW_CONSUMER, "write wait exceeded",
                        DisconnectReason.SLOW_CONSUMER);
            } else if (now - lastPing[i] >= pingInterval) {
                lastPing[i] = now;
                connections.get(i).session().ping();
            }
        }
    }
}
