package io.switchboard.server.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.switchboard.server.buffer.Buffers;
import java.util.ArrayDeque;

/**
 * The send queue of a WebSocket connection: what the session writes goes through here, in order, to the
 * pipeline. Small fan-out frames are copied into a cork buffer until the next flush; while the channel
 * is above its high-water mark frames are held here instead of in Netty's outbound buffer, so that they
 * can be dropped (a slow consumer's close overtakes them). {@link #queuedBytes} counts all of it for
 * the session's cap. Fan-out frames that arrive while frames are held are kept as references to the shared
 * frame and copied into corks only as the channel drains: a connection that is behind costs a pointer per
 * frame, not a copy, and its corks live from copy to write instead of for the whole backlog. Not a pipeline
 * stage: it writes below the stages it skips. The base class of {@link NettySession} rather than an object of
 * its own: no extra object per connection. Confined to the channel's event loop.
 */
abstract class OutboundQueue {
    /**
     * Fan-out frames up to this size are copied into the connection's cork buffer; larger ones are written
     * as retained duplicates of the shared frame. Copying 1 KiB costs less than what a duplicate costs per
     * frame (a recycled buffer object, an atomic reference count taken and dropped, an outbound buffer
     * entry, an iovec slot), and nothing like it when the leak detector samples the shared frame and then
     * tracks every duplicate of it.
     */
    static final int CORK_COPY_MAX_BYTES = 1024;
    /** The channel once the handshake completed, else null. */
    Channel channel;
    /**
     * Where pre-encoded frames enter the pipeline: the WebSocket frame encoder's context, so a fan-out
     * write starts just below it and skips every stage above (aggregator, protocol handler, encoder),
     * which have nothing to do with a finished frame buffer. Event loop only.
     */
    ChannelHandlerContext frameOut;
    /**
     * Small fan-out frames written since the last flush, copied back to back into one buffer: a flush
     * then hands the socket one buffer instead of one duplicate per frame. Null while empty. Event loop only.
     */
    private ByteBuf cork;
    /**
     * How many bytes the corks of the last batch held (a batch ends when the corks are handed on to be
     * flushed): the next batch's first cork is the power of two that holds as much, so a steady stream of
     * batches fills one cork per flush. Event loop only.
     */
    private int lastCorkBytes;
    /** Bytes of the current batch in corks already handed on because they were full. Event loop only. */
    private int batchBytes;
    /**
     * Frames (encoded {@link ByteBuf}s, {@link WebSocketFrame}s, or retained {@link PreEncodedFrame}s) written
     * while the channel was above its high-water mark, in order, not yet handed to the pipeline: the part of the
     * send queue a slow-consumer close can drop, so that its close frame overtakes them (Netty's outbound buffer
     * cannot drop what it holds). Null while empty. Bounded with everything else by
     * {@code websocket.maxQueuedBytes}. Event loop only.
     */
    private ArrayDeque<Object> held;
    /** The wire bytes of {@link #held}. Event loop only. */
    private long heldBytes;


    /** Bytes written to this connection and not yet on the socket: the channel's, the held frames', the cork's. */
    public final long queuedBytes() {
        ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        return (out == null ? 0 : out.totalPendingWriteBytes()) + heldBytes + (cork == null ? 0 : cork.readableBytes());
    }

    /**
     * Queues a pre-encoded fan-out frame of {@code size} bytes: copied into the cork when small, else a
     * retained duplicate of the shared frame. May throw {@link OutOfMemoryError} allocating a cork.
     */
    final void queue(PreEncodedFrame f, int size) {
        if (held != null) {
            // Behind: the frame waits as a reference and is copied when the channel drains. No cork is open
            // here: one is only opened while nothing is held, and whatever holds frames handed it on first.
            f.retain();
            held.add(f);
            heldBytes += size;
            return;
        }
        if (size <= CORK_COPY_MAX_BYTES) {
            if (cork != null && cork.writableBytes() < size) {
                // Full: hand it on and start another, never reallocate (Buffers.CORK_MAX_BYTES says why). The next
                // holds the batch so far again, so a growing batch takes few corks.
                batchBytes += handOn();
            }
            if (cork == null) {
                cork = channel.alloc().directBuffer(Buffers.corkCapacity(Math.max(lastCorkBytes, batchBytes + size)));
            }
            f.copyTo(cork);
        } else {
            uncork();
            submit(f.retainedDuplicate(), size);
        }
    }

    /**
     * Hands the corked frames to the pipeline (without flushing). Runs before every other write too, so
     * that a reply, ping or close never overtakes fan-out frames written before it.
     */
    final void uncork() {
        if (cork != null) {
            lastCorkBytes = batchBytes + handOn();
            batchBytes = 0;
        }
    }

    /** Submits the cork; returns its bytes. */
    private int handOn() {
        ByteBuf corked = cork;
        cork = null;
        int bytes = corked.readableBytes();
        submit(corked, bytes);
        return bytes;
    }

    /** Hands a frame to the pipeline, or holds it behind others while the channel is above its high-water mark. */
    final void submit(Object msg, int size) {
        if (held == null && channel.isWritable()) {
            pass(msg);
        } else {
            if (held == null) {
                held = new ArrayDeque<>();
            }
            held.add(msg);
            heldBytes += size;
        }
    }

    /** Finished frame bytes enter below the frame encoder; frames go through the encoders (and compression). */
    final void pass(Object msg) {
        if (msg instanceof ByteBuf b) {
            frameOutput().write(b, channel.voidPromise());
        } else {
            channel.write(msg, channel.voidPromise());
        }
    }

    /** Whether frames are held, waiting for the channel to fall below its low-water mark. */
    final boolean holding() {
        return held != null;
    }

    /**
     * Hands held frames to the pipeline, in order, until the channel is above its high-water mark again. Held
     * fan-out frames are copied into corks here, each cork handed straight to the pipeline (never back to
     * {@link #held}, which would put it behind frames it precedes). May throw {@link OutOfMemoryError} allocating
     * a cork; the frame it was copying is released and the rest stay held.
     */
    final void drain() {
        ByteBuf drained = null;
        while (held != null && channel.isWritable()) {
            Object msg = held.poll();
            int size = wireSize(msg);
            heldBytes -= size;
            if (held.isEmpty()) {
                held = null;
            }
            if (msg instanceof PreEncodedFrame f) {
                try {
                    if (size > CORK_COPY_MAX_BYTES) {
                        drained = passCork(drained);
                        pass(f.retainedDuplicate());
                    } else {
                        if (drained != null && drained.writableBytes() < size) {
                            drained = passCork(drained);
                        }
                        if (drained == null) {
                            drained = channel.alloc().directBuffer(Buffers.corkCapacity((int) Math.min(
                                    Buffers.CORK_MAX_BYTES, heldBytes + size)));
                        }
                        f.copyTo(drained);
                    }
                } finally {
                    f.release();
                }
            } else {
                drained = passCork(drained);
                pass(msg);
            }
        }
        passCork(drained);
    }

    /** Hands a cork filled by {@link #drain} to the pipeline, if there is one; returns null. */
    private ByteBuf passCork(ByteBuf drained) {
        if (drained != null) {
            pass(drained);
        }
        return null;
    }

    /** Releases the cork and the held frames: nothing of them will be sent. */
    final void dropQueued() {
        if (cork != null) {
            cork.release();
            cork = null;
            batchBytes = 0;
        }
        if (held != null) {
            for (Object msg : held) {
                if (msg instanceof PreEncodedFrame f) {
                    f.release();
                } else {
                    ReferenceCountUtil.release(msg);
                }
            }
            held = null;
            heldBytes = 0;
        }
    }

    /** Where finished frame bytes enter the pipeline: below the frame encoder once known. */
    final ChannelOutboundInvoker frameOutput() {
        return frameOut != null ? frameOut : channel;
    }

    /** A frame's bytes on the wire, uncompressed: payload and header (RFC 6455 section 5.2). */
    static int wireSize(Object msg) {
        if (msg instanceof ByteBuf b) {
            return b.readableBytes();
        }
        if (msg instanceof PreEncodedFrame f) {
            return f.wireSize();
        }
        int payload = ((WebSocketFrame) msg).content().readableBytes();
        return payload + (payload < 126 ? 2 : payload <= 0xFFFF ? 4 : 10);
    }

}
