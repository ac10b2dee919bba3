package io.switchboard.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.switchboard.protocol.internal.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Connections that cost the load generator as little as possible, so that it can absorb a million
 * deliveries a second on one core and the server, not the client, is what a run measures: fan-out
 * subscribers, idle connections, and closed-loop echo connections (also over raw TCP, the floor an
 * echo over WebSocket is compared with).
 *
 * <p>The full client ({@code SwitchboardClient}) decodes every frame into a JSON tree and hands it to
 * a callback; at about 450k deliveries/s that saturates a core. A lean subscriber instead speaks just
 * enough of RFC 6455 over a raw socket: it sends the upgrade request and one masked
 * {@code join_room}, answers pings, and reads frames straight out of the receive buffer. For each text
 * frame it looks for the payload's {@code {"t":} (the intended send time that every bench publisher
 * puts first in {@code data}) and parses the number in place: no frame object, no copy, no JSON tree.
 *
 * <p>What it does not do: extensions (it offers none), fragmented messages (the server sends none
 * below its frame size), TLS. A frame it cannot read closes the connection and counts an error.
 *
 * <p>Threading: connections live on this object's event loops (epoll where available); counters go to
 * {@link BenchRun}, whose counters and recorder are thread-safe.
 */
final class LeanConnections implements AutoCloseable {
    /** Largest upgrade response accepted before the 101 is found. */
    private static final int MAX_RESPONSE_HEADER = 16 * 1024;
    private static final byte[] T_MARK = "{\"t\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] JOINED_MARK = "\"type\":\"room_joined\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ERROR_MARK = "\"type\":\"error\"".getBytes(StandardCharsets.US_ASCII);
    private static final int OP_TEXT = 0x1;
    private static final int OP_CLOSE = 0x8;
    private static final int OP_PING = 0x9;
    private static final int OP_PONG = 0xA;
    /** RFC 6455 7.4.1: the close frame carried no status code. */
    private static final int NO_STATUS_RECEIVED = 1005;
    private static final int NOT_BENCH = 0;
    private static final int UNCOUNTED = 1;
    private static final int COUNTED = 2;

    private final BenchRun run;
    private final EventLoopGroup group;
    private final Class<? extends Channel> channelClass;
    private final List<Channel> channels = Collections.synchronizedList(new ArrayList<>());
    /** Closed-loop echo connections, started by {@link #startEcho}. */
    private final List<Echoing> echoers = Collections.synchronizedList(new ArrayList<>());
    /** Whether a drop counts as an error: only while measuring. */
    volatile boolean measuring;

    LeanConnections(BenchRun run) {
        this.run = run;
        Transport transport = Transport.best();
        this.group = transport.newGroup(Runtime.getRuntime().availableProcessors(), "bench-lean");
        this.channelClass = transport.socketChannel();
    }

    /**
     * Connects as {@code user}, upgrades and joins {@code room} (none when null). The future completes
     * when {@code room_joined} arrives (without a room: on the upgrade), and fails on a refused upgrade,
     * an error reply or a drop.
     */
    CompletableFuture<Void> open(URI url, String user, InetAddress localAddress, String room) {
        if (!"ws".equalsIgnoreCase(url.getScheme())) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "the lean receiver speaks ws:// only; use --receiver client for " + url.getScheme()));
        }
        CompletableFuture<Void> joined = new CompletableFuture<>();
        return connect(url, localAddress, new Reader(BenchRun.withUser(url, user), room, null, joined), joined);
    }

    /**
     * Opens a closed-loop echo connection: over {@code ws://} an upgraded connection that sends
     * {@code echo} commands padded with {@code pad} ({@link Scenarios#echoCommand}); over {@code tcp://} a
     * plain socket that sends {@code sizeBytes} raw bytes to an echo server. Nothing is sent before {@link #startEcho}; then each
     * connection keeps one message in flight, sending the next as soon as the reply arrives, until
     * {@link BenchRun#measureToNanos}. The future completes when the connection is ready.
     */
    CompletableFuture<Void> openEcho(URI url, String user, InetAddress localAddress, int sizeBytes, String pad) {
        CompletableFuture<Void> ready = new CompletableFuture<>();
        Echoing echo;
        if ("tcp".equalsIgnoreCase(url.getScheme())) {
            echo = new TcpPinger(sizeBytes, ready);
        } else if ("ws".equalsIgnoreCase(url.getScheme())) {
            echo = new Reader(BenchRun.withUser(url, user), null, pad, ready);
        } else {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "a closed-loop echo speaks ws:// or tcp://, not " + url.getScheme()));
        }
        echoers.add(echo);
        return connect(url, localAddress, (ChannelHandler) echo, ready);
    }

    /** Every echo connection sends its first message, on its own event loop. */
    void startEcho() {
        synchronized (echoers) {
            for (Echoing e : echoers) {
                e.start();
            }
        }
    }

    private CompletableFuture<Void> connect(URI url, InetAddress localAddress, ChannelHandler handler,
                                            CompletableFuture<Void> ready) {
        int port = url.getPort() > 0 ? url.getPort() : 80;
        Bootstrap b = new Bootstrap().group(group).channel(channelClass)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
                .handler(handler);
        InetSocketAddress remote = new InetSocketAddress(url.getHost(), port);
        var connect = localAddress == null ? b.connect(remote) : b.connect(remote, new InetSocketAddress(localAddress, 0));
        // Kept from now, not from the connect listener: on loopback the connection can be active, and
        // `ready` complete, before a listener added here runs, and alive() would miss it. Like closed ones,
        // a channel whose connect failed stays listed; alive() counts only the active.
        channels.add(connect.channel());
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                ready.completeExceptionally(f.cause());
            }
        });
        return ready;
    }

    long alive() {
        long n = 0;
        synchronized (channels) {
            for (Channel c : channels) {
                if (c.isActive()) {
                    n++;
                }
            }
        }
        return n;
    }

    @Override
    public void close() {
        measuring = false;
        synchronized (channels) {
            for (Channel c : channels) {
                c.close();
            }
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** A closed-loop echo connection. */
    private interface Echoing {
        /** Sends the first message (any thread). */
        void start();
    }

    /**
     * One connection's protocol: upgrade, join (subscribers), then frames; an echo connection sends an
     * echo, and the next one on each reply. Its channel's event loop only, but {@link #start}.
     */
    private final class Reader extends ChannelInboundHandlerAdapter implements Echoing {
        private final URI url;
        private final String room;
        /** The echo's padding; null for a subscriber. */
        private final String echoPad;
        private final CompletableFuture<Void> joined;
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

        Reader(URI url, String room, String echoPad, CompletableFuture<Void> joined) {
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
            sendText(ctx, Scenarios.echoCommand(now, echoPad));
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
            if (room == null) {
                joined.complete(null);
            } else {
                sendText(ctx, "{\"type\":\"join_room\",\"room\":\"" + room + "\"}");
            }
            return true;
        }

        /** Reads every complete frame in {@code buf}, leaving the reader index at the first incomplete one. */
        private void readFrames(ChannelHandlerContext ctx, ByteBuf buf) {
            int delivered = 0;
            int arrived = 0;
            boolean replied = false;
            long now = System.nanoTime();
            boolean inWindow = now >= run.measureFromNanos && now < run.measureToNanos;
            while (buf.readableBytes() >= 2) {
                int at = buf.readerIndex();
                int b0 = buf.getUnsignedByte(at);
                int b1 = buf.getUnsignedByte(at + 1);
                if ((b0 & 0x70) != 0 || (b1 & 0x80) != 0) {
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
                switch (b0 & 0x0f) {
                    case OP_TEXT -> {
                        int seen = onText(buf, start, end);
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

        /** Counts a server {@code error} message with its code and text, or its raw text if it is not JSON. */
        private void serverError(ByteBuf buf, int start, int end) {
            try {
                JsonNode m = Scenarios.JSON.readTree(ByteBufUtil.getBytes(buf, start, end - start, false));
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
            if (partial != null) {
                partial.release();
                partial = null;
            }
            if (!joined.isDone()) {
                joined.completeExceptionally(new IllegalStateException("connection closed before room_joined"
                        + (closeCode >= 0 ? ": " + closeCode + " " + closeReason : "")));
            } else if (measuring && closeCode >= 0) {
                run.closed(closeCode, closeReason);
            } else if (measuring) {
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
    }

    /**
     * Raw TCP ping-pong, the floor of an echo: sends {@code size} bytes and waits for {@code size} bytes
     * back from an echo server, one message in flight, timed from its send. No framing, no masking, no
     * parsing: what is left is the kernel, the event loops and the wake-ups.
     */
    private final class TcpPinger extends ChannelInboundHandlerAdapter implements Echoing {
        private final byte[] message;
        private final CompletableFuture<Void> ready;
        private ChannelHandlerContext ctx;
        /** Bytes of the reply received so far. */
        private int received;
        private long sentAt;

        TcpPinger(int size, CompletableFuture<Void> ready) {
            this.message = "x".repeat(Math.max(1, size)).getBytes(StandardCharsets.US_ASCII);
            this.ready = ready;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ready.complete(null);
            ctx.fireChannelActive();
        }

        @Override
        public void start() {
            ctx.executor().execute(this::send);
        }

        private void send() {
            sentAt = System.nanoTime();
            if (sentAt >= run.measureToNanos || !ctx.channel().isActive()) {
                return;
            }
            if (run.counts(sentAt)) {
                run.sent.increment();
                run.expected.increment();
            }
            ctx.writeAndFlush(ctx.alloc().buffer(message.length).writeBytes(message), ctx.voidPromise());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            received += in.readableBytes();
            in.release();
            if (received < message.length) {
                return;
            }
            if (received > message.length) {
                fail(new IllegalStateException("the echo server sent " + received + " bytes for " + message.length));
                return;
            }
            received = 0;
            long now = System.nanoTime();
            if (run.counts(sentAt)) {
                run.record(sentAt);
                run.delivered.increment();
            } else {
                run.recordWarmup(sentAt);
            }
            if (now >= run.measureFromNanos && now < run.measureToNanos) {
                run.windowArrivals.increment();
            }
            send();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            ready.completeExceptionally(new IllegalStateException("connection closed"));
            if (measuring) {
                run.error("TCP connection closed");
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause);
        }

        private void fail(Throwable cause) {
            ready.completeExceptionally(cause);
            ctx.close();
        }
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
