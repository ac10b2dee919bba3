package io.switchboard.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.FastThreadLocal;
import io.switchboard.protocol.Command;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ServerMessage;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * One lean WebSocket connection of a benchmark run (see {@link LeanConnections}): upgrade, join
 * (subscribers), then frames read straight out of the receive buffer; an echo connection sends an echo,
 * and the next one on each reply. It speaks just enough of RFC 6455: no fragmented messages, no TLS, and
 * of the extensions only permessage-deflate when asked to offer it (the {@code lean-deflate} receiver:
 * compressed messages are inflated, as a browser would, before they are read); a frame it cannot read
 * closes the connection and counts an error.
 *
 * <p>Confined to its channel's event loop, but {@link #start}.
 */
final class LeanWebSocket extends ChannelInboundHandlerAdapter implements Echoing {
    /** Largest upgrade response accepted before the 101 is found. */
    private static final int MAX_RESPONSE_HEADER = 16 * 1024;
    private static final byte[] T_MARK = "{\"t\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] JOINED_MARK = ("\"type\":\"" + ServerMessage.RoomJoined.TYPE + "\"")
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ERROR_MARK = ("\"type\":\"" + ServerMessage.Error.TYPE + "\"")
            .getBytes(StandardCharsets.US_ASCII);
    private static final int OP_TEXT = 0x1;
    /** RFC 7692 section 6: a compressed message. */
    private static final int RSV1 = 0x40;
    /** Section 7.2.2: the tail a receiver appends before inflating. */
    private static final byte[] DEFLATE_TAIL = {0, 0, (byte) 0xFF, (byte) 0xFF};
    /** Inflater and scratch space per event loop of the load generator, reused for every message. */
    private static final FastThreadLocal<Inflating> INFLATING = new FastThreadLocal<>() {
        @Override
        protected Inflating initialValue() {
            return new Inflating();
        }
    };
    private static final int OP_CLOSE = 0x8;
    private static final int OP_PING = 0x9;
    private static final int OP_PONG = 0xA;
    /** RFC 6455 7.4.1: the close frame carried no status code. */
    private static final int NO_STATUS_RECEIVED = 1005;
    private static final int NOT_BENCH = 0;
    private static final int UNCOUNTED = 1;
    private static final int COUNTED = 2;
    /** Reads the rare server {@code error} message; bench messages are found by their bytes, never parsed. */
    private static final ObjectMapper JSON = new JsonCodec().mapper();

    private final BenchRun run;
    /** Whether a drop counts as an error: only while measuring. */
    private final BooleanSupplier measuring;
    private final URI url;
    private final String room;
    /** The echo's padding; null for a subscriber. */
    private final String echoPad;
    private final CompletableFuture<Void> joined;
    /** Offer permessage-deflate, and inflate compressed messages. */
    private final boolean deflate;
    /**
     * The connection's own inflater when the server keeps its compression context between messages (it did
     * not answer {@code server_no_context_takeover}); null when each message inflates on its own.
     */
    private Inflater contextInflater;
    private ChannelHandlerContext ctx;
    private boolean upgraded;
    /** Bytes of an incomplete frame (or response header) kept from the last read; null when none. */
    private ByteBuf partial;
    /**
     * Where {@code {"t":} was in the last bench message, from the payload's start: the server writes
     * the fields in a fixed order, so it is there again and the scan is skipped. -1: not seen yet.
     */
    private int tHint = -1;
    /** The status code of the server's close frame (1005 when it had none), once one arrived; else -1. */
    private int closeCode = -1;
    private String closeReason = "";

    LeanWebSocket(BenchRun run, BooleanSupplier measuring, URI url, String room, String echoPad,
                  CompletableFuture<Void> joined, boolean deflate) {
        this.deflate = deflate;
        this.run = run;
        this.measuring = measuring;
        this.url = url;
        this.room = room;
        this.echoPad = echoPad;
        this.joined = joined;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void start() {
        ctx.executor().execute(this::sendEcho);
    }

    /** Sends the next echo, stamped with its send time, unless sending has ended. */
    private void sendEcho() {
        long now = System.nanoTime();
        if (now >= run.measureToNanos || !ctx.channel().isActive()) {
            return;
        }
        if (run.counts(now)) {
            run.sent.increment();
            run.expected.increment();
        }
        sendText(ctx, Payloads.echoCommand(now, echoPad));
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        byte[] key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        String request = "GET " + path + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery()) + " HTTP/1.1\r\n"
                + "Host: " + url.getRawAuthority() + "\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\n"
                + (deflate ? "Sec-WebSocket-Extensions: permessage-deflate\r\n" : "")
                + "Sec-WebSocket-Version: 13\r\n\r\n";
        ctx.writeAndFlush(ctx.alloc().buffer(request.length()).writeBytes(request.getBytes(StandardCharsets.US_ASCII)));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        ByteBuf buf = in;
        if (partial != null) {
            buf = partial;
            partial = null;
            if (buf.writableBytes() < in.readableBytes()) {
                ByteBuf bigger = ctx.alloc().heapBuffer(buf.readableBytes() + in.readableBytes());
                bigger.writeBytes(buf);
                buf.release();
                buf = bigger;
            }
            buf.writeBytes(in);
            in.release();
        }
        try {
            if (!upgraded && !readUpgrade(ctx, buf)) {
                keep(ctx, buf);
                return;
            }
            readFrames(ctx, buf);
            keep(ctx, buf);
        } catch (RuntimeException e) {
            fail(ctx, e);
        } finally {
            buf.release();
        }
    }

    /** Keeps the unread rest of {@code buf} for the next read (a copy: {@code buf} is released). */
    private void keep(ChannelHandlerContext ctx, ByteBuf buf) {
        if (buf.isReadable() && ctx.channel().isActive()) {
            partial = ctx.alloc().heapBuffer(Math.max(256, buf.readableBytes() * 2)).writeBytes(buf);
        }
    }

    /** Consumes the 101 response; false while it is still incomplete. */
    private boolean readUpgrade(ChannelHandlerContext ctx, ByteBuf buf) {
        int end = -1;
        for (int i = buf.readerIndex(); i + 3 < buf.writerIndex(); i++) {
            if (buf.getByte(i) == '\r' && buf.getByte(i + 1) == '\n' && buf.getByte(i + 2) == '\r'
                    && buf.getByte(i + 3) == '\n') {
                end = i + 4;
                break;
            }
        }
        if (end < 0) {
            if (buf.readableBytes() > MAX_RESPONSE_HEADER) {
                throw new IllegalStateException("upgrade response header larger than " + MAX_RESPONSE_HEADER + " bytes");
            }
            return false;
        }
        String head = buf.toString(buf.readerIndex(), end - buf.readerIndex(), StandardCharsets.ISO_8859_1);
        String status = head.substring(0, Math.max(0, head.indexOf('\r')));
        if (!status.startsWith("HTTP/1.1 101")) {
            throw new IllegalStateException("upgrade refused: " + status);
        }
        buf.readerIndex(end);
        upgraded = true;
        if (deflate && head.contains("permessage-deflate") && !head.contains("server_no_context_takeover")) {
            contextInflater = new Inflater(true);
        }
        if (room == null) {
            joined.complete(null);
        } else {
            sendText(ctx, "{\"type\":\"" + Command.JoinRoom.TYPE + "\",\"room\":\"" + room + "\"}");
        }
        return true;
    }

    /** Reads every complete frame in {@code buf}, leaving the reader index at the first incomplete one. */
    private void readFrames(ChannelHandlerContext ctx, ByteBuf buf) {
        int delivered = 0;
        int arrived = 0;
        long frameBytes = 0;
        boolean replied = false;
        long now = System.nanoTime();
        boolean inWindow = now >= run.measureFromNanos && now < run.measureToNanos;
        while (buf.readableBytes() >= 2) {
            int at = buf.readerIndex();
            int b0 = buf.getUnsignedByte(at);
            int b1 = buf.getUnsignedByte(at + 1);
            if ((b0 & (deflate ? 0x30 : 0x70)) != 0 || (b1 & 0x80) != 0) {
                throw new IllegalStateException("unexpected frame header " + b0 + "," + b1
                        + " (reserved bits or a masked server frame)");
            }
            int header = 2;
            long length = b1 & 0x7f;
            if (length == 126) {
                if (buf.readableBytes() < 4) {
                    break;
                }
                length = buf.getUnsignedShort(at + 2);
                header = 4;
            } else if (length == 127) {
                if (buf.readableBytes() < 10) {
                    break;
                }
                length = buf.getLong(at + 2);
                header = 10;
            }
            if (length > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException("frame of " + length + " bytes");
            }
            if (buf.readableBytes() < header + length) {
                break;
            }
            int start = at + header;
            int end = start + (int) length;
            buf.readerIndex(end);
            frameBytes += header + length;
            switch (b0 & 0x0f) {
                case OP_TEXT -> {
                    int seen = (b0 & RSV1) != 0 ? onCompressedText(buf, start, end) : onText(buf, start, end);
                    arrived += seen == NOT_BENCH ? 0 : 1;
                    delivered += seen == COUNTED ? 1 : 0;
                    replied |= seen != NOT_BENCH;
                }
                case OP_PING -> sendFrame(ctx, OP_PONG, buf, start, end);
                case OP_CLOSE -> {
                    // counted as a drop by channelInactive, with this code and reason
                    closeCode = end - start >= 2 ? buf.getUnsignedShort(start) : NO_STATUS_RECEIVED;
                    closeReason = end - start > 2 ? buf.toString(start + 2, end - start - 2, StandardCharsets.UTF_8) : "";
                    ctx.close();
                    return;
                }
                default -> {
                    // pong, binary, continuation: nothing a fan-out subscriber measures
                }
            }
        }
        if (delivered > 0) {
            run.delivered.add(delivered);
        }
        if (frameBytes > 0) {
            run.frameBytes.add(frameBytes);
        }
        if (arrived > 0 && inWindow) {
            run.windowArrivals.add(arrived);
        }
        if (replied && echoPad != null) {
            sendEcho();
        }
    }

    /**
     * Records a bench message's latency. Returns {@link #COUNTED} for a measured bench message,
     * {@link #UNCOUNTED} for one sent during the warmup, {@link #NOT_BENCH} for anything else.
     */
    private int onText(ByteBuf buf, int start, int end) {
        int t = tHint >= 0 && regionMatches(buf, start + tHint, end, T_MARK) ? start + tHint
                : indexOf(buf, start, end, T_MARK);
        if (t >= 0) {
            tHint = t - start;
            long value = 0;
            int digits = 0;
            for (int i = t + T_MARK.length; i < end; i++) {
                int c = buf.getByte(i) - '0';
                if (c < 0 || c > 9) {
                    break;
                }
                value = value * 10 + c;
                digits++;
            }
            if (digits == 0) {
                return NOT_BENCH;
            }
            if (run.counts(value)) {
                run.record(value);
                return COUNTED;
            }
            run.recordWarmup(value);
            return UNCOUNTED;
        }
        if (!joined.isDone() && indexOf(buf, start, end, JOINED_MARK) >= 0) {
            run.roomJoinedBytes.add(end - start);
            joined.complete(null);
        } else if (indexOf(buf, start, end, ERROR_MARK) >= 0) {
            serverError(buf, start, end);
            if (!joined.isDone()) {
                joined.completeExceptionally(new IllegalStateException(
                        buf.toString(start, end - start, StandardCharsets.UTF_8)));
            }
        }
        return NOT_BENCH;
    }

    /** Inflates a compressed message (RFC 7692 section 7.2.2) and reads it as {@link #onText} does. */
    private int onCompressedText(ByteBuf buf, int start, int end) {
        Inflating in = INFLATING.get();
        ByteBuf inflated = in.inflate(contextInflater, buf, start, end);
        int saved = tHint;
        int seen = onText(inflated, 0, inflated.writerIndex());
        if (seen == NOT_BENCH) {
            tHint = saved;
        }
        return seen;
    }

    /** An inflater and its buffers, one per event loop. */
    private static final class Inflating {
        private final Inflater inflater = new Inflater(true);
        private byte[] input = new byte[4096];
        private final ByteBuf output = Unpooled.buffer(64 * 1024);

        /**
         * The message in {@code buf[start, end)}, inflated into {@link #output} (valid until the next call) by
         * {@code context}, the connection's inflater when the server keeps its context, else by a fresh one.
         */
        ByteBuf inflate(Inflater context, ByteBuf buf, int start, int end) {
            Inflater inflater = context != null ? context : this.inflater;
            int length = end - start;
            if (input.length < length + DEFLATE_TAIL.length) {
                input = new byte[(length + DEFLATE_TAIL.length) * 2];
            }
            buf.getBytes(start, input, 0, length);
            System.arraycopy(DEFLATE_TAIL, 0, input, length, DEFLATE_TAIL.length);
            if (context == null) {
                inflater.reset(); // server_no_context_takeover: each message starts afresh
            }
            inflater.setInput(input, 0, length + DEFLATE_TAIL.length);
            output.clear();
            try {
                while (true) {
                    output.ensureWritable(4096);
                    int n = inflater.inflate(output.array(), output.arrayOffset() + output.writerIndex(),
                            output.writableBytes());
                    output.writerIndex(output.writerIndex() + n);
                    if (n == 0 && (inflater.needsInput() || inflater.finished())) {
                        return output;
                    }
                }
            } catch (DataFormatException e) {
                throw new IllegalStateException("compressed message does not inflate: " + e.getMessage(), e);
            }
        }
    }

    /** Counts a server {@code error} message with its code and text, or its raw text if it is not JSON. */
    private void serverError(ByteBuf buf, int start, int end) {
        try {
            JsonNode m = JSON.readTree(ByteBufUtil.getBytes(buf, start, end - start, false));
            run.serverError(m.path("code").asText(), m.path("error").asText());
        } catch (IOException e) {
            run.error("server error: " + buf.toString(start, end - start, StandardCharsets.UTF_8));
        }
    }

    private void sendText(ChannelHandlerContext ctx, String text) {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        ByteBuf p = ctx.alloc().heapBuffer(payload.length).writeBytes(payload);
        sendFrame(ctx, OP_TEXT, p, 0, payload.length);
        p.release();
    }

    /** Writes one masked client frame (FIN set) carrying {@code buf[start, end)}. */
    private void sendFrame(ChannelHandlerContext ctx, int opcode, ByteBuf buf, int start, int end) {
        int length = end - start;
        ByteBuf out = ctx.alloc().buffer(length + 8);
        out.writeByte(0x80 | opcode);
        if (length < 126) {
            out.writeByte(0x80 | length);
        } else {
            out.writeByte(0x80 | 126).writeShort(length);
        }
        int mask = ThreadLocalRandom.current().nextInt();
        out.writeInt(mask);
        for (int i = 0; i < length; i++) {
            int shift = 24 - 8 * (i & 3);
            out.writeByte(buf.getByte(start + i) ^ (mask >>> shift));
        }
        ctx.writeAndFlush(out, ctx.voidPromise());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (contextInflater != null) {
            contextInflater.end();
            contextInflater = null;
        }
        if (partial != null) {
            partial.release();
            partial = null;
        }
        if (!joined.isDone()) {
            joined.completeExceptionally(new IllegalStateException("connection closed before room_joined"
                    + (closeCode >= 0 ? ": " + closeCode + " " + closeReason : "")));
        } else if (measuring.getAsBoolean() && closeCode >= 0) {
            run.closed(closeCode, closeReason);
        } else if (measuring.getAsBoolean()) {
            run.error("connection dropped without a close frame");
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, cause);
    }

    /** Fails the join if still pending; a drop after it is counted by {@link #channelInactive}. */
    private void fail(ChannelHandlerContext ctx, Throwable cause) {
        joined.completeExceptionally(cause);
        ctx.close();
    }

    /** Index of {@code needle} in {@code buf[start, end)}, or -1. */
    static int indexOf(ByteBuf buf, int start, int end, byte[] needle) {
        for (int i = start; i <= end - needle.length; i++) {
            if (regionMatches(buf, i, end, needle)) {
                return i;
            }
        }
        return -1;
    }

    /** Whether {@code needle} is at {@code at}, wholly before {@code end}. */
    static boolean regionMatches(ByteBuf buf, int at, int end, byte[] needle) {
        if (at + needle.length > end) {
            return false;
        }
        for (int j = 0; j < needle.length; j++) {
            if (buf.getByte(at + j) != needle[j]) {
                return false;
            }
        }
        return true;
    }
}
