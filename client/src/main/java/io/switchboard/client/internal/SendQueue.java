package io.switchboard.client.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.switchboard.client.SwitchboardClientException.ConnectionLostException;
import io.switchboard.client.SwitchboardClientException.SendQueueFullException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client's bounded send queue: frames accepted while the connection is down or not writable.
 * Overflow policy: reject at once. Callers {@link #reserve} a slot on their own thread, so a full
 * queue fails the send before anything is allocated on the event loop; the slot is released when
 * the frame is written, skipped (its request timed out) or failed.
 *
 * <p>Threading: {@link #reserve} and {@link #release} from any thread; everything else confined to
 * the client's event loop.
 */
final class SendQueue {
    private final int capacity;
    private final Executor callbacks;
    /** Slots taken: frames queued plus frames on their way to the loop. Guards the bound. */
    private final AtomicInteger reserved = new AtomicInteger();
    private final ArrayDeque<QueuedFrame> frames = new ArrayDeque<>();

    SendQueue(int capacity, Executor callbacks) {
        this.capacity = capacity;
        this.callbacks = callbacks;
    }

    /** Takes a slot, or fails the future with {@link SendQueueFullException} and returns false. */
    boolean reserve(CompletableFuture<?> future) {
        if (reserved.incrementAndGet() > capacity) {
            reserved.decrementAndGet();
            future.completeExceptionally(new SendQueueFullException(capacity));
            return false;
        }
        return true;
    }

    /** Gives back a slot reserved for a frame that will not be queued. */
    void release() {
        reserved.decrementAndGet();
    }

    void add(QueuedFrame frame) {
        frames.add(frame);
    }

    /** Queues a frame ahead of the others (a request sent again after a lost connection keeps its place). */
    void addFirst(QueuedFrame frame) {
        frames.addFirst(frame);
    }

    /**
     * Writes queued frames while the channel is writable, without flushing; returns whether any
     * was written. A request that timed out while queued is dropped: the caller gave up on it.
     */
    boolean writeTo(Channel channel) {
        boolean wrote = false;
        QueuedFrame o;
        while (channel.isWritable() && (o = frames.poll()) != null) {
            reserved.decrementAndGet();
            if (o.pending() != null && o.pending().finished) {
                continue;
            }
            ChannelFuture f = channel.write(o.frame());
            if (o.pending() != null) {
                o.pending().sent = true;
            }
            if (o.written() != null) {
                CompletableFuture<Void> written = o.written();
                f.addListener(r -> {
                    if (r.isSuccess()) {
                        callbacks.execute(() -> written.complete(null));
                    } else {
                        ConnectionLostException lost = new ConnectionLostException("write failed: " + r.cause());
                        callbacks.execute(() -> written.completeExceptionally(lost));
                    }
                });
            }
            wrote = true;
        }
        return wrote;
    }

    /** Empties the queue, failing every frame's future. */
    void failAll(Throwable error) {
        QueuedFrame o;
        while ((o = frames.poll()) != null) {
            reserved.decrementAndGet();
            if (o.pending() != null) {
                o.pending().fail(error);
            } else if (o.written() != null) {
                CompletableFuture<Void> written = o.written();
                callbacks.execute(() -> written.completeExceptionally(error));
            }
        }
    }
}
