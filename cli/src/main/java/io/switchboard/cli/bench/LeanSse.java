package io.switchboard.cli.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * One lean Server-Sent Events subscriber of a fan-out run (see {@link LeanConnections}): {@code GET /sse} with
 * its room, then events read straight out of the receive buffer. The server writes each event as one chunk
 * of the chunked body, so an event is the bytes between two blank lines ({@code \n\n}) and the chunk-size
 * lines around it never fall inside its {@code data:}; the event's {@code {"t":} is parsed in place as the
 * lean WebSocket subscriber does. No reconnect, no TLS. Confined to its channel's event loop.
 */
final class LeanSse extends ChannelInboundHandlerAdapter {
    private static final int MAX_RESPONSE_HEADER = 16 * 1024;
    private static final byte[] T_MARK = "{\"t\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] JOINED_MARK = "event: room_joined".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ERROR_MARK = "event: error".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA_MARK = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEADER_END = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final BenchRun run;
    private final BooleanSupplier measuring;
    private final URI url;
    private final String user;
    private final String room;
    private final CompletableFuture<Void> joined;
    private boolean headerRead;
    /** Where {@code {"t":} was in the last bench message, from the start of its JSON; -1: not seen yet. */
    private int tHint = -1;
    /** Bytes of an incomplete event (or response header) kept from the last read; null when none. */
    private ByteBuf partial;

    LeanSse(BenchRun run, BooleanSupplier measuring, URI url, String user, String room, CompletableFuture<Void> joined) {
        this.run = run;
        this.measuring = measuring;
        this.url = url;
        this.user = user;
        this.room = room;
        this.joined = joined;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        String request = "GET /sse?id=" + user + (room == null ? "" : "&rooms=" + room) + " HTTP/1.1\r\n"
                + "Host: " + url.getRawAuthority() + "\r\nAccept: text/event-stream\r\n\r\n";
        ctx.writeAndFlush(ctx.alloc().buffer(request.length()).writeBytes(request.getBytes(StandardCharsets.US_ASCII)));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        ByteBuf buf = in;
        if (partial != null) {
            buf = ctx.alloc().heapBuffer(partial.readableBytes() + in.readableBytes()).writeBytes(partial).writeBytes(in);
            partial.release();
            partial = null;
            in.release();
        }
        try {
            if (!headerRead && !readHeader(buf)) {
                keep(ctx, buf);
                return;
            }
            readEvents(buf);
            keep(ctx, buf);
        } catch (RuntimeException e) {
            joined.completeExceptionally(e);
            ctx.close();
        } finally {
            buf.release();
        }
    }

    private void keep(ChannelHandlerContext ctx, ByteBuf buf) {
        if (buf.isReadable() && ctx.channel().isActive()) {
            partial = ctx.alloc().heapBuffer(buf.readableBytes()).writeBytes(buf);
        }
    }

    private boolean readHeader(ByteBuf buf) {
        int end = indexOf(buf, buf.readerIndex(), buf.writerIndex(), HEADER_END);
        if (end < 0) {
            if (buf.readableBytes() > MAX_RESPONSE_HEADER) {
                throw new IllegalStateException("response header larger than " + MAX_RESPONSE_HEADER + " bytes");
            }
            return false;
        }
        String status = buf.toString(buf.readerIndex(), end - buf.readerIndex(), StandardCharsets.ISO_8859_1);
        status = status.substring(0, Math.max(0, status.indexOf('\r')));
        if (!status.startsWith("HTTP/1.1 200")) {
            throw new IllegalStateException("stream refused: " + status);
        }
        buf.readerIndex(end + 4);
        headerRead = true;
        if (room == null) {
            joined.complete(null);
        }
        return true;
    }

    /** Handles every complete event, leaving the reader index at the first incomplete one. */
    private void readEvents(ByteBuf buf) {
        long now = System.nanoTime();
        boolean inWindow = now >= run.measureFromNanos && now < run.measureToNanos;
        int arrived = 0;
        while (true) {
            int start = buf.readerIndex();
            int end = eventEnd(buf, start);
            if (end < 0) {
                break;
            }
            arrived += onEvent(buf, start, end) ? 1 : 0;
            buf.readerIndex(end + 2);
        }
        if (arrived > 0 && inWindow) {
            run.windowArrivals.add(arrived);
        }
    }

    /** Where the blank line that ends the event at {@code start} begins, or -1: Netty's vectorised byte search. */
    private static int eventEnd(ByteBuf buf, int start) {
        int from = start;
        while (true) {
            int lf = buf.indexOf(from, buf.writerIndex(), (byte) '\n');
            if (lf < 0 || lf + 1 >= buf.writerIndex()) {
                return -1;
            }
            if (buf.getByte(lf + 1) == '\n') {
                return lf;
            }
            from = lf + 1;
        }
    }

    /** Handles one event; true for a bench message. */
    private boolean onEvent(ByteBuf buf, int start, int end) {
        // The JSON starts after "data: " and the server writes its fields in a fixed order: the {"t": of the
        // last bench message is found again at the same distance from the data line, so the scan is skipped.
        int data = dataStart(buf, start, end);
        int t = data < 0 ? -1 : tHint >= 0 && LeanWebSocket.regionMatches(buf, data + tHint, end, T_MARK) ? data + tHint
                : LeanWebSocket.indexOf(buf, data, end, T_MARK);
        if (t >= 0) {
            tHint = t - data;
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
            if (digits > 0 && run.counts(value)) {
                run.record(value);
                run.delivered.increment();
            } else if (digits > 0) {
                run.recordWarmup(value);
            }
            return digits > 0;
        }
        if (!joined.isDone() && LeanWebSocket.indexOf(buf, start, end, JOINED_MARK) >= 0) {
            joined.complete(null);
        } else if (LeanWebSocket.indexOf(buf, start, end, ERROR_MARK) >= 0) {
            run.error("server error: " + buf.toString(start, end - start, StandardCharsets.UTF_8));
        }
        return false;
    }

    /** Where the value of the event's {@code data:} line starts, or -1. */
    private static int dataStart(ByteBuf buf, int start, int end) {
        int from = start;
        while (from < end) {
            if (LeanWebSocket.regionMatches(buf, from, end, DATA_MARK)) {
                return from + DATA_MARK.length;
            }
            int lf = buf.indexOf(from, end, (byte) '\n');
            if (lf < 0) {
                return -1;
            }
            from = lf + 1;
        }
        return -1;
    }

    private static int indexOf(ByteBuf buf, int start, int end, byte[] needle) {
        return LeanWebSocket.indexOf(buf, start, end, needle);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (partial != null) {
            partial.release();
            partial = null;
        }
        if (!joined.isDone()) {
            joined.completeExceptionally(new IllegalStateException("stream closed before room_joined"));
        } else if (measuring.getAsBoolean()) {
            run.error("stream dropped");
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        joined.completeExceptionally(cause);
        ctx.close();
    }
}
