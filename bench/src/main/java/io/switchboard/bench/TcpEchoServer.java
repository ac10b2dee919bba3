package io.switchboard.bench;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * The floor of the echo benchmarks: a Netty TCP server that writes back every byte it reads, on the
 * same stack as Switchboard (epoll, pooled buffers, one event loop). It does no framing, no parsing
 * and no work per message, so what a closed-loop echo against it costs is the kernel, the event loops
 * and the wake-ups; a WebSocket echo's latency above it is what the server itself adds.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar io.switchboard.bench.TcpEchoServer PORT [THREADS]}
 */
public final class TcpEchoServer {
    private TcpEchoServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8091;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        LoopbackServer.run("TCP echo server", port, threads, new Echo());
    }

    /** Writes back what it reads, flushing once per read batch as a WebSocket server would. */
    @ChannelHandler.Sharable
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
