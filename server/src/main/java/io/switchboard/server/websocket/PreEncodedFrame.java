package io.switchboard.server.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.switchboard.core.transport.FrameFactory;
import io.switchboard.core.transport.OutboundFrame;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.Function;
import java.util.zip.Deflater;

/**
 * A complete server-to-client WebSocket frame (header and payload) in one buffer, built once per
 * message and written to every recipient: copied into the recipient's cork buffer when small, as a
 * retained duplicate when large (see {@link NettySession#write}). Server frames are never masked
 * (RFC 6455 section 5.1), so the bytes are the same for every connection; the frame encoder passes a
 * plain {@link ByteBuf} through untouched. Thread-safe (reference counting is atomic).
 *
 * <p>With permessage-deflate negotiated, a frame of at least {@value #COMPRESS_MIN_BYTES} bytes goes out
 * compressed: {@link #compressed} deflates it once, on first use, and every such recipient gets the same bytes.
 * That is sound because the server always answers {@code server_no_context_takeover} (see
 * {@link DeflateOffers}): each message is compressed with a fresh context, so it does not depend on what
 * else went to the connection. Smaller frames go out uncompressed, which RFC 7692 section 6 allows (RSV1 clear).
 */
public final class PreEncodedFrame implements OutboundFrame {
    private static final int FIN = 0x80;
    private static final int OPCODE_TEXT = 0x1;
    private static final int OPCODE_BINARY = 0x2;
    /** RFC 7692 section 6: RSV1 marks a compressed message. */
    private static final int RSV1 = 0x40;
    /** Below this a payload gains little from deflate and its header costs more than it saves. */
    static final int COMPRESS_MIN_BYTES = 128;
    /** RFC 7692 section 7.2.1: the sync flush's empty block, removed from the end of each message. */
    private static final int DEFLATE_TAIL_BYTES = 4;
    private static final int MAX_HEADER_BYTES = 10;
    private static final AtomicIntegerFieldUpdater<PreEncodedFrame> REFS =
            AtomicIntegerFieldUpdater.newUpdater(PreEncodedFrame.class, "refs");
    private static final AtomicReferenceFieldUpdater<PreEncodedFrame, PreEncodedFrame> COMPRESSED =
            AtomicReferenceFieldUpdater.newUpdater(PreEncodedFrame.class, PreEncodedFrame.class, "compressed");
    /** One deflater per event loop, reset for each message (no context takeover). */
    private static final FastThreadLocal<Deflater> DEFLATERS = new FastThreadLocal<>() {
        @Override
        protected Deflater initialValue() {
            return new Deflater(DeflateOffers.COMPRESSION_LEVEL, true);
        }

        @Override
        protected void onRemoval(Deflater deflater) {
            deflater.end();
        }
    };

    private final ByteBuf frame;
    private final int payloadSize;
    private final boolean binary;
    /** See {@link #derived}: written once, racily but idempotently. */
    private volatile Object derived;
    /**
     * References to this frame. It holds one reference to {@link #frame} (and one to its compressed form's),
     * dropped when the last of these goes; the duplicates handed to channels hold references of their own.
     */
    private volatile int refs = 1;
    /** The deflated frame, made on first use and released with this one; see {@link #compressed}. */
    private volatile PreEncodedFrame compressed;

    private PreEncodedFrame(ByteBuf frame, int payloadSize, boolean binary) {
        this.frame = frame;
        this.payloadSize = payloadSize;
        this.binary = binary;
    }

    /** The factory the hub uses for text frames. */
    public static FrameFactory factory(ByteBufAllocator alloc) {
        return utf8 -> text(alloc, utf8);
    }

    static PreEncodedFrame text(ByteBufAllocator alloc, byte[] utf8) {
        ByteBuf buf = alloc.directBuffer(headerSize(utf8.length) + utf8.length);
        writeHeader(buf, OPCODE_TEXT, utf8.length);
        buf.writeBytes(utf8);
        return new PreEncodedFrame(buf, utf8.length, false);
    }

    /** A binary frame with a copy of {@code payload}'s readable bytes; {@code payload} is not released. */
    static PreEncodedFrame binary(ByteBufAllocator alloc, ByteBuf payload) {
        int length = payload.readableBytes();
        ByteBuf buf = alloc.directBuffer(headerSize(length) + length);
        writeHeader(buf, OPCODE_BINARY, length);
        buf.writeBytes(payload, payload.readerIndex(), length);
        return new PreEncodedFrame(buf, length, true);
    }

    private static int headerSize(int length) {
        return length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
    }

    /** RFC 6455 section 5.2: 7-bit length, or 126 + 16-bit, or 127 + 64-bit; no mask bit for server frames. */
    private static void writeHeader(ByteBuf buf, int opcode, int length) {
        buf.writeByte(FIN | opcode); // opcode may carry RSV1 (bit 6 of the first byte)
        if (length < 126) {
            buf.writeByte(length);
        } else if (length <= 0xFFFF) {
            buf.writeByte(126);
            buf.writeShort(length);
        } else {
            buf.writeByte(127);
            buf.writeLong(length);
        }
    }

    /** Appends the whole frame to {@code out} (the cork makes room first; see OutboundQueue.queue). */
    void copyTo(ByteBuf out) {
        out.writeBytes(frame, frame.readerIndex(), frame.readableBytes());
    }

    /** A new reference to the frame bytes with independent indexes, for one recipient. */
    ByteBuf retainedDuplicate() {
        return frame.retainedDuplicate();
    }

    /**
     * The message bytes without the frame header, for a transport that frames them its own way (SSE, HTTP
     * streaming): a slice that shares the frame's reference count, valid while the caller's reference is.
     */
    public ByteBuf payload() {
        return frame.slice(frame.writerIndex() - payloadSize, payloadSize);
    }

    /**
     * What another transport derives from this frame's payload once for all its recipients (the SSE event
     * head), computed by {@code derive} on first use. Two threads may both derive it; both get an equal value.
     */
    @SuppressWarnings("unchecked")
    public <T> T derived(Function<ByteBuf, T> derive) {
        Object d = derived;
        if (d == null) {
            d = derive.apply(payload());
            derived = d;
        }
        return (T) d;
    }

    /**
     * This frame as a compressed message (RFC 7692 section 7.2.1), for connections that negotiated
     * permessage-deflate: deflated once for all of them, with a fresh context, on the first call; valid while
     * the caller holds a reference to this frame. Frames under {@value #COMPRESS_MIN_BYTES} bytes, and frames
     * deflate does not shrink, are returned as they are.
     */
    PreEncodedFrame compressed(ByteBufAllocator alloc) {
        if (payloadSize < COMPRESS_MIN_BYTES) {
            return this;
        }
        PreEncodedFrame c = compressed;
        if (c != null) {
            return c;
        }
        c = deflate(alloc);
        if (COMPRESSED.compareAndSet(this, null, c)) {
            return c;
        }
        // Another loop deflated it at the same moment: keep theirs.
        if (c != this) {
            c.release();
        }
        return compressed;
    }

    private PreEncodedFrame deflate(ByteBufAllocator alloc) {
        Deflater deflater = DEFLATERS.get();
        deflater.reset();
        deflater.setInput(payload().nioBuffer());
        ByteBuf out = alloc.directBuffer(MAX_HEADER_BYTES + payloadSize / 2 + 64);
        try {
            // The payload goes after room for the longest header; the header is filled in once its length is known.
            out.writerIndex(MAX_HEADER_BYTES);
            while (true) {
                out.ensureWritable(Math.max(256, payloadSize / 4));
                ByteBuffer into = out.nioBuffer(out.writerIndex(), out.writableBytes());
                out.writerIndex(out.writerIndex() + deflater.deflate(into, Deflater.SYNC_FLUSH));
                if (into.hasRemaining()) {
                    break; // a sync flush that did not fill the space has written everything
                }
            }
            int end = out.writerIndex() - DEFLATE_TAIL_BYTES;
            int length = end - MAX_HEADER_BYTES;
            if (length >= payloadSize) {
                out.release();
                return this;
            }
            int start = MAX_HEADER_BYTES - headerSize(length);
            out.writerIndex(start);
            writeHeader(out, RSV1 | (binary ? OPCODE_BINARY : OPCODE_TEXT), length);
            out.writerIndex(end);
            out.readerIndex(start);
            return new PreEncodedFrame(out, length, binary);
        } catch (RuntimeException | Error e) {
            out.release();
            throw e;
        }
    }

    /** Bytes on the wire, header included. */
    int wireSize() {
        return frame.readableBytes();
    }

    @Override
    public int size() {
        return payloadSize;
    }

    @Override
    public boolean binary() {
        return binary;
    }

    @Override
    public OutboundFrame retain() {
        REFS.incrementAndGet(this);
        return this;
    }

    @Override
    public void release() {
        int left = REFS.decrementAndGet(this);
        if (left == 0) {
            frame.release();
            PreEncodedFrame c = compressed;
            if (c != null && c != this) {
                c.release();
            }
        } else if (left < 0) {
            throw new IllegalStateException("frame released more often than retained");
        }
    }
}
