package io.switchboard.cli.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * Raw TCP ping-pong, the floor of an echo: sends {@code size} bytes and waits for {@code size} bytes
 * back from an echo server, one message in flight, timed from its send. No framing, no masking, no
 * parsing: what is left is the kernel, the event loops and the wake-ups.
 *
 * <p>Confined to its channel's event loop, but {@link #start}.
 */
final class TcpPinger extends ChannelInboundHandlerAdapter implements Echoing {
    private final BenchRun run;
    /** Whether a drop counts as an error: only while measuring. */
    private final BooleanSupplier measuring;
    private final byte[] message;
    private final CompletableFuture<Void> ready;
    private ChannelHandlerContext ctx;
    /** Bytes of the reply received so far. */
    private int received;
    private long sentAt;

    TcpPinger(BenchRun run, BooleanSupplier measuring, int size, CompletableFuture<Void> ready) {
        this.run = run;
        this.measuring = measuring;
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
        if (measuring.getAsBoolean()) {
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
