package io.switchboard.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.switchboard.protocol.internal.Transport;

/**
 * How the harness's comparison servers listen: on 127.0.0.1, epoll where available, {@code threads}
 * event loops, {@code TCP_NODELAY}, the same transport settings Switchboard uses, so that a difference
 * in a run is the handler's and not the socket setup's.
 */
final class LoopbackServer {
    private LoopbackServer() {
    }

    /** Binds, prints where it listens, and blocks until the channel closes. */
    static void run(String name, int port, int threads, ChannelHandler childHandler) throws InterruptedException {
        Transport transport = Transport.best();
        MultiThreadIoEventLoopGroup group = transport.newGroup(threads, name);
        try {
            Channel ch = new ServerBootstrap().group(group)
                    .channel(transport.serverChannel())
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(childHandler)
                    .bind("127.0.0.1", port).sync().channel();
            System.out.println(name + " listening on 127.0.0.1:" + port + " (" + transport.label() + ", "
                    + threads + " event loops)");
            ch.closeFuture().sync();
        } finally {
            group.shutdownGracefully();
        }
    }
}
