package io.switchboard.core.hub;

import io.switchboard.core.DisconnectReason;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.core.transport.OutboundFrame;
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
 * to one socket leaves in one syscall instead of one per frame. With {@code hub.flushInterval}, each
 * connection is flushed at most once per interval instead (see {@link #becameDirty}).
 */
public final class Shard {
    private static final Logger log = LoggerFactory.getLogger(Shard.class);
    private final Executor executor;
    private final int maxPending;
    private final HubContext ctx;
    /** Closes a connection of this shard; called on the shard's thread. */
    private final MemberCloser closer;
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
    /** With {@code hub.flushInterval}: when connections.get(i) was last flushed. Shard thread only. */
    private long[] lastFlush = new long[16];
    /** Connections written since their last flush. Shard thread only. */
    private final ArrayList<Connection> dirty = new ArrayList<>();
    /** With {@code hub.flushInterval}: when dirty.get(i) became dirty. Shard thread only. */
    private long[] dirtySince = new long[16];
    private final Runnable flushTask = this::flushDirty;
    /** Without an interval: when the first connection of the current batch became dirty. */
    private long batchStartNanos;
    /** With an interval: the flush step queued (a replaced one finds it is not and does nothing), or null. */
    private FlushStep flushStep;
    /** When {@link #flushStep} runs. */
    private long flushStepAt;
    /** Its handle, to cancel it when an earlier step replaces it; null when queued without one. */
    private java.util.concurrent.Future<?> flushStepFuture;
    /** Mirrors {@code connections.size()} for other threads. */
    private volatile int connectionCount;

    Shard(Executor executor, int maxPending, HubContext ctx, MemberCloser closer) {
        this.executor = executor;
        this.maxPending = maxPending;
        this.ctx = ctx;
        this.closer = closer;
        this.flushIntervalNanos = ctx.config().hub().flushInterval().toNanos();
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
            if (flushIntervalNanos > 0) {
                becameDirty(c);
            } else {
                if (dirty.isEmpty()) {
                    batchStartNanos = ctx.time().nanoTime();
                    executor.execute(flushTask);
                }
                dirty.add(c);
            }
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

    /** Without an interval: flushes every connection written since the last flush, as soon as the loop is free. */
    private void flushDirty() {
        for (int i = 0; i < dirty.size(); i++) {
            Connection c = dirty.get(i);
            c.dirty = false;
            if (!c.removed) {
                flush(c);
            }
        }
        dirty.clear();
        ctx.metrics().fanoutFlushed(ctx.time().nanoTime() - batchStartNanos);
    }

    /*
     * With hub.flushInterval: each connection is flushed at most once per interval, when its own interval
     * since its last flush has passed. A connection written after a quiet spell is flushed at once; under
     * steady traffic each write carries what arrived during the interval, so a busy loop makes fewer system
     * calls per delivery. The connections' flushes spread over the interval instead of going out in one
     * burst followed by a rest, so no frame waits much longer than the interval (plus the step's slack).
     */

    /** Puts a connection in the flush queue and makes sure a flush step runs when it is due. */
    private void becameDirty(Connection c) {
        long now = ctx.time().nanoTime();
        int n = dirty.size();
        if (n == dirtySince.length) {
            dirtySince = Arrays.copyOf(dirtySince, n + (n >> 1));
        }
        dirty.add(c);
        dirtySince[n] = now;
        scheduleFlushStep(now, c.shardIndex >= 0 ? lastFlush[c.shardIndex] + flushIntervalNanos : now);
    }

    /** Queues a flush step for {@code due}, unless one runs by then (within the slack) already. */
    private void scheduleFlushStep(long now, long due) {
        if (flushStep != null && flushStepAt - due <= slackNanos()) {
            return;
        }
        if (flushStepFuture != null) {
            flushStepFuture.cancel(false);
        }
        FlushStep step = new FlushStep();
        flushStep = step;
        flushStepAt = due;
        flushStepFuture = null;
        long wait = due - now;
        if (wait > 0 && executor instanceof ScheduledExecutorService scheduler) {
            flushStepFuture = scheduler.schedule(step, wait, TimeUnit.NANOSECONDS);
        } else {
            executor.execute(step);
        }
    }

    /** A queued flush step; it runs only while it is the shard's current one. */
    private final class FlushStep implements Runnable {
        @Override
        public void run() {
            if (flushStep == this) {
                flushStep = null;
                flushStepFuture = null;
                flushDue();
            }
        }
    }

    /** Connections due this close after a step are flushed in it: a tenth of the interval. */
    private long slackNanos() {
        return flushIntervalNanos / 10;
    }

    /** A flush step: flushes the queued connections that are due, and queues the next step for the rest. */
    private void flushDue() {
        long now = ctx.time().nanoTime();
        long horizon = now + slackNanos();
        long oldest = Long.MAX_VALUE;
        long nextDue = Long.MAX_VALUE;
        int kept = 0;
        for (int i = 0; i < dirty.size(); i++) {
            Connection c = dirty.get(i);
            if (c.removed || c.shardIndex < 0) {
                c.dirty = false;
                continue;
            }
            long due = lastFlush[c.shardIndex] + flushIntervalNanos;
            if (due - horizon <= 0) {
                c.dirty = false;
                oldest = Math.min(oldest, dirtySince[i]);
                flush(c);
                if (c.shardIndex >= 0) {
                    lastFlush[c.shardIndex] = ctx.time().nanoTime();
                }
            } else {
                dirty.set(kept, c);
                dirtySince[kept++] = dirtySince[i];
                nextDue = Math.min(nextDue, due);
            }
        }
        dirty.subList(kept, dirty.size()).clear();
        long end = ctx.time().nanoTime();
        if (oldest != Long.MAX_VALUE) {
            ctx.metrics().fanoutFlushed(end - oldest);
        }
        if (kept > 0) {
            scheduleFlushStep(end, nextDue);
        }
    }

    /**
     * Flushes one connection. Guarded like write: a throw here would also leave the batch uncleared, and
     * with it every later delivery on this shard unflushed.
     */
    private void flush(Connection c) {
        try {
            c.session().flush();
        } catch (RuntimeException e) {
            failed(c, "flushing", e);
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
            if (flushIntervalNanos > 0) {
                lastFlush = Arrays.copyOf(lastFlush, capacity);
            }
        }
        c.shardIndex = i;
        connections.add(c);
        lastActivity[i] = c.connectedAtNanos();
        lastPing[i] = c.connectedAtNanos();
        backloggedSince[i] = 0;
        if (flushIntervalNanos > 0) {
            // As if flushed an interval ago: its first flush goes at once, whatever the clock's origin
            // (nanoTime may be negative; only differences of it mean anything).
            lastFlush[i] = ctx.time().nanoTime() - flushIntervalNanos;
        }
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
            if (flushIntervalNanos > 0) {
                lastFlush[i] = lastFlush[lastIndex];
            }
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
        long now = ctx.time().nanoTime();
        long pingInterval = ctx.config().websocket().pingInterval().toNanos();
        long pongTimeout = ctx.config().websocket().pongTimeout().toNanos();
        long writeWait = ctx.config().websocket().writeWait().toNanos();
        // Backwards: a close removes the current element by swapping in the last, already visited one.
        for (int i = connections.size() - 1; i >= 0; i--) {
            if (i >= connections.size()) {
                continue;
            }
            long backlogged = backloggedSince[i];
            if (now - lastActivity[i] > pongTimeout) {
                closer.close(connections.get(i), CloseCode.GOING_AWAY, "heartbeat timeout",
                        DisconnectReason.HEARTBEAT_TIMEOUT);
            } else if (backlogged != 0 && now - backlogged > writeWait) {
                closer.close(connections.get(i), CloseCode.SLOW_CONSUMER, "write wait exceeded",
                        DisconnectReason.SLOW_CONSUMER);
            } else if (now - lastPing[i] >= pingInterval) {
                lastPing[i] = now;
                connections.get(i).session().ping();
            }
        }
    }
}
