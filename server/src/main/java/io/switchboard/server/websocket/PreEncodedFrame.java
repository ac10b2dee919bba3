package io.switchboard.server.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.switchboard.core.transport.FrameFactory;
import io.switchboard.core.transport.OutboundFrame;
import java.util.function.Function;

/**
 * A complete server-to-client WebSocket frame (header and payload) in one buffer, built once per
 * message and written to every recipient: copied into the recipient's cork buffer when small, as a
 * retained duplicate when large (see {@link NettySession#write}). Server frames are never masked
 * (RFC 6455 section 5.1), so the bytes are the same for every connection; the frame encoder passes a
 * plain {@link ByteBuf} through untouched. Thread-safe (reference counting is atomic).
 *
 * <p>With permessage-deflate negotiated these frames go out uncompressed, which RFC 7692 section 6
 * allows (RSV1 clear).
 */
public final class PreEncodedFrame implements OutboundFrame {
    private static final int FIN = 0x80;
    private static final int OPCODE_TEXT = 0x1;
    private static final int OPCODE_BINARY = 0x2;

    private final ByteBuf frame;
    private final int payloadSize;
    private final boolean binary;
    /** See {@link #derived}: written once, racily but idempotently. */
    private volatile Object derived;

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
        buf.writeByte(FIN | opcode);
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

    /** A new reference to the frame bytes with independent indexes, for one recipient. */
    /** Appends the whole frame to {@code out}, which grows as needed. */
    void copyTo(ByteBuf out) {
        out.writeBytes(frame, frame.readerIndex(), frame.readableBytes());
    }

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
        frame.retain();
        return this;
    }

    @Override
    public void release() {
        frame.release();
    }
}
