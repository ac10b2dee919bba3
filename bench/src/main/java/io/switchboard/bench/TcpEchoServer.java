package io.switchboard.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

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
        boolean epoll = Epoll.isAvailable();
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(threads,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        try {
            Channel ch = new ServerBootstrap().group(group)
                    .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new Echo())
                    .bind("127.0.0.1", port).sync().channel();
            System.out.println("TCP echo server listening on 127.0.0.1:" + port + " (" + (epoll ? "epoll" : "nio")
                    + ", " + threads + " event loops)");
            ch.closeFuture().sync();
        } finally {
            group.shutdownGracefully();
        }
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
