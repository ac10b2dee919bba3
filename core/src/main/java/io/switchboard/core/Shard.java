package io.switchboard.core;

import io.switchboard.protocol.CloseCode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One executor's share of the hub: the connections that live on it, its flush batch and its bound on
 * queued delivery tasks. Confined to the executor's thread except {@link #tryReserve}, {@link #execute}
 * and {@link #connectionCount()}, which are thread-safe.
 *
 * <p>Flush coalescing: a delivery writes without flushing and marks the connection dirty; the first
 * dirty connection schedules one flush task behind the deliveries already queued, so a burst of messages
 * to one socket leaves in one syscall instead of one per frame.
 *
 * <p>The dirty connections form a queue that is flushed {@value #FLUSH_CHUNK} at a time, with the
 * executor's I/O in between: on a Netty event loop the continuation is a task scheduled with no delay,
 * which the loop takes only after its next poll of the sockets. Under load the queue holds every
 * connection and a flush costs a syscall (about 10 µs on loopback), so one pass over 1,000 connections
 * takes some 15 ms. Without the pauses a publish read just after a pass began waited the whole pass
 * before it was even fanned out, then up to another pass for its socket's turn; with them it is fanned
 * out within a chunk and leaves with each socket's next flush, at no extra syscalls. When the input
 * between two flush tasks queued more than {@value #WRITES_PER_FLUSH} frames per connection flushed, the
 * whole queue is flushed before the loop reads again, so output keeps pace with input as it did without
 * pauses.
 */
public final class Shard {
    private final Executor executor;
    private final int maxPending;
    private final Hub hub;
    /** Delivery tasks queued and not yet run; bounded by {@link #maxPending}. */
    private final AtomicInteger pending = new AtomicInteger();
    /** Connections on this shard, for broadcasts and heartbeats. Shard thread only. */
    private final ArrayList<Connection> connections = new ArrayList<>();
    /** How many dirty connections one flush task flushes before letting the executor poll its sockets. */
    static final int FLUSH_CHUNK = 64;
    /**
     * Frames queued per flush of the previous flush task above which the next one flushes every dirty
     * connection before the loop reads again. A flush costs some 10 µs on loopback and queueing a frame
     * about 0.15 µs, so at this ratio the input between two flush tasks costs about what their flushes
     * did: below it the pauses cost nothing; above it pausing would let input outrun output. With 10,000
     * members joining one room, each join queuing a presence event for every member, pausing regardless
     * had the loop read joins between every two chunks and queue 750 MiB before a pass ended (10 MiB with
     * whole passes). Measured against the previous task's flushes, not a chunk's, so that the input a
     * whole pass let accumulate does not force the next pass to be whole too.
     */
    static final int WRITES_PER_FLUSH = 64;
    /**
     * Connections written since their last flush, in the order they were first written. Shard thread only.
     * Bounded by the shard's connections: {@link Connection#dirty} keeps each in it at most once.
     */
    private final ArrayDeque<Connection> dirty = new ArrayDeque<>();
    /** Whether a flush task is queued or scheduled. Shard thread only. */
    private boolean flushPending;
    /** Frames queued since the last flush task began. Shard thread only. */
    private long writesSinceFlushTask;
    /** How many connections the last flush task flushed. Shard thread only. */
    private int lastTaskFlushes = FLUSH_CHUNK;
    private final Runnable flushTask = this::flushSome;
    /** Mirrors {@code connections.size()} for other threads. */
    private volatile int connectionCount;

    Shard(Executor executor, int maxPending, Hub hub) {
        this.executor = executor;
        this.maxPending = maxPending;
        this.hub = hub;
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
        if (c.removed || !c.session().write(frame)) {
            return false;
        }
        writesSinceFlushTask++;
        markDirty(c);
        return true;
    }

    /** Puts a connection that was written to in the flush batch. Shard thread. */
    private void markDirty(Connection c) {
        if (!c.dirty) {
            c.dirty = true;
            dirty.addLast(c);
            if (!flushPending) {
                flushPending = true;
                executor.execute(flushTask);
            }
        }
    }

    /**
     * Flushes the first {@value #FLUSH_CHUNK} dirty connections and the rest after the executor's next I/O;
     * or all of them now when the input since the last flush task queued more than
     * {@value #WRITES_PER_FLUSH} frames per connection that task flushed.
     */
    private void flushSome() {
        boolean inputHeavy = writesSinceFlushTask > (long) WRITES_PER_FLUSH * Math.max(FLUSH_CHUNK, lastTaskFlushes);
        int budget = inputHeavy ? dirty.size() : FLUSH_CHUNK;
        writesSinceFlushTask = 0;
        int n = 0;
        for (; n < budget; n++) {
            Connection c = dirty.pollFirst();
            if (c == null) {
                break;
            }
            c.dirty = false;
            if (!c.removed) {
                c.session().flush();
            }
        }
        lastTaskFlushes = n;
        if (dirty.isEmpty()) {
            flushPending = false;
        } else if (executor instanceof ScheduledExecutorService loop) {
            loop.schedule(flushTask, 0, TimeUnit.NANOSECONDS);
        } else {
            executor.execute(flushTask);
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
        c.shardIndex = connections.size();
        connections.add(c);
        connectionCount = connections.size();
    }

    void remove(Connection c) {
        int i = c.shardIndex;
        if (i < 0) {
            return;
        }
        Connection last = connections.remove(connections.size() - 1);
        if (last != c) {
            connections.set(i, last);
            last.shardIndex = i;
        }
        c.shardIndex = -1;
        connectionCount = connections.size();
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
            Connection c = connections.get(i);
            long backlogged = c.session().backloggedSinceNanos();
            if (now - c.lastActivityNanos() > pongTimeout) {
                hub.close(c, CloseCode.GOING_AWAY, "heartbeat timeout", DisconnectReason.HEARTBEAT_TIMEOUT);
            } else if (backlogged != 0 && now - backlogged > writeWait) {
                hub.close(c, CloseCode.SLOW_CONSUMER, "write wait exceeded", DisconnectReason.SLOW_CONSUMER);
            } else if (now - c.lastPingNanos >= pingInterval) {
                c.lastPingNanos = now;
                c.session().ping();
                markDirty(c);
            }
        }
    }
}
