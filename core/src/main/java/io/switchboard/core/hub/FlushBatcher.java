package io.switchboard.core.hub;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Flush coalescing for one shard. A delivery writes without flushing and hands the connection here. With
 * no delay in force, the first one schedules one flush task behind the deliveries already queued, so a
 * burst of messages to one socket leaves in one syscall instead of one per frame. With a delay (a fixed
 * {@code hub.flushInterval}, or the adaptive one a {@link FlushPacer} picks within {@code hub.maxFlushDelay}
 * while flushing eats the loop), each connection is flushed at most once per delay instead (see
 * {@link #queue}). Shard thread only.
 */
final class FlushBatcher {
    private final Executor executor;
    private final HubContext ctx;
    /** {@code hub.flushInterval}: a fixed delay, or 0. */
    private final long fixedIntervalNanos;
    /** Picks the delay when none is fixed and adaptive flushing is on; null otherwise. */
    private final FlushPacer pacer;
    /** The longest delay that can be in force; 0 when flushing always goes at once. */
    private final long maxIntervalNanos;
    /** The delay in force: fixed, the pacer's latest, or 0. */
    private long intervalNanos;
    /** {@link #intervalNanos} for other threads (metrics), written only when it changes. */
    private volatile long publishedIntervalNanos;
    /** A session whose flush threw; the shard closes its connection. */
    private final BiConsumer<Connection, RuntimeException> onFailure;
    /** When a delay can be in force: when the shard's connection i was last flushed. */
    private long[] lastFlush;
    /** Connections written since their last flush. */
    private final ArrayList<Connection> dirty = new ArrayList<>();
    /** When dirty.get(i) became dirty (without a delay: when its batch began). */
    private long[] dirtySince = new long[16];
    private final Runnable flushTask = this::flushDirty;
    /** Without a delay: when the first connection of the current batch became dirty. */
    private long batchStartNanos;
    /** With a delay: the flush step queued (a replaced one finds it is not and does nothing), or null. */
    private FlushStep flushStep;
    /** When {@link #flushStep} runs. */
    private long flushStepAt;
    /** Its handle, to cancel it when an earlier step replaces it; null when queued without one. */
    private Future<?> flushStepFuture;

    FlushBatcher(Executor executor, HubContext ctx, long fixedIntervalNanos, long maxFlushDelayNanos,
                 BiConsumer<Connection, RuntimeException> onFailure) {
        this.executor = executor;
        this.ctx = ctx;
        this.fixedIntervalNanos = fixedIntervalNanos;
        this.pacer = fixedIntervalNanos == 0 && maxFlushDelayNanos > 0
                ? new FlushPacer(maxFlushDelayNanos, ctx.time().nanoTime()) : null;
        this.maxIntervalNanos = fixedIntervalNanos > 0 ? fixedIntervalNanos : pacer != null ? maxFlushDelayNanos : 0;
        this.intervalNanos = fixedIntervalNanos;
        this.publishedIntervalNanos = fixedIntervalNanos;
        this.onFailure = onFailure;
        this.lastFlush = new long[maxIntervalNanos > 0 ? 16 : 0];
    }

    /** A connection was written and is not in the batch yet (its {@code dirty} flag was just set). */
    void written(Connection c) {
        if (intervalNanos > 0) {
            queue(c);
        } else {
            if (dirty.isEmpty()) {
                batchStartNanos = ctx.time().nanoTime();
                executor.execute(flushTask);
            }
            append(c, batchStartNanos);
        }
    }

    private void append(Connection c, long since) {
        int n = dirty.size();
        if (n >= dirtySince.length) {
            dirtySince = Arrays.copyOf(dirtySince, n + (n >> 1) + 1);
        }
        dirty.add(c);
        dirtySince[n] = since;
    }

    /** The delay the shard flushes with now; 0 while it flushes at once. Thread-safe. */
    long intervalNanos() {
        return publishedIntervalNanos;
    }

    /** The shard's connection arrays grew to {@code capacity}. */
    void grow(int capacity) {
        if (maxIntervalNanos > 0) {
            lastFlush = Arrays.copyOf(lastFlush, capacity);
        }
    }

    /** A connection took index {@code i} of the shard. */
    void added(int i) {
        if (maxIntervalNanos > 0) {
            // As if flushed the longest delay ago: its first flush goes at once, whatever the clock's
            // origin (nanoTime may be negative; only differences of it mean anything).
            lastFlush[i] = ctx.time().nanoTime() - maxIntervalNanos;
        }
    }

    /** The shard moved its connection at index {@code from} to {@code to}. */
    void moved(int from, int to) {
        if (maxIntervalNanos > 0) {
            lastFlush[to] = lastFlush[from];
        }
    }

    /** Without a delay: flushes every connection written since the last flush, as soon as the loop is free. */
    private void flushDirty() {
        long start = ctx.time().nanoTime();
        boolean track = maxIntervalNanos > 0;
        for (int i = 0; i < dirty.size(); i++) {
            Connection c = dirty.get(i);
            c.dirty = false;
            if (!c.removed) {
                flush(c);
                if (track && c.shardIndex >= 0) {
                    lastFlush[c.shardIndex] = start;
                }
            }
        }
        dirty.clear();
        long end = ctx.time().nanoTime();
        ctx.metrics().fanoutFlushed(end - batchStartNanos);
        paced(start, end);
    }

    /** Tells the pacer of a pass and takes up the delay it picks. */
    private void paced(long start, long end) {
        if (pacer != null) {
            pacer.passed(start, end);
            long delay = pacer.delayNanos();
            if (delay != intervalNanos) {
                intervalNanos = delay;
                publishedIntervalNanos = delay;
            }
        }
    }

    /*
     * With a delay (hub.flushInterval, or the pacer's): each connection is flushed at most once per interval, when its own interval
     * since its last flush has passed. A connection written after a quiet spell is flushed at once; under
     * steady traffic each write carries what arrived during the interval, so a busy loop makes fewer system
     * calls per delivery. The connections' flushes spread over the interval instead of going out in one
     * burst followed by a rest, so no frame waits much longer than the interval (plus the step's slack).
     */

    /** Puts a connection in the flush queue and makes sure a flush step runs when it is due. */
    private void queue(Connection c) {
        long now = ctx.time().nanoTime();
        append(c, now);
        scheduleFlushStep(now, c.shardIndex >= 0 ? lastFlush[c.shardIndex] + intervalNanos : now);
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
        return intervalNanos / 10;
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
            long due = lastFlush[c.shardIndex] + intervalNanos;
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
        paced(now, end);
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
            onFailure.accept(c, e);
        }
    }
}
