package io.switchboard.protocol.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Both transports carry bytes over loopback; epoll is chosen wherever it loads unless NIO is asked for. */
class TransportTest {

    @Test
    void epollIsChosenWhenTheNativeLibraryLoadsAndNioWhenAskedFor() {
        assertThat(Transport.best()).isEqualTo(Epoll.isAvailable() ? Transport.EPOLL : Transport.NIO);
        assertThat(Transport.select(false)).isEqualTo(Transport.best());
        assertThat(Transport.select(true)).isEqualTo(Transport.NIO);
        assertThat(Transport.EPOLL.label()).isEqualTo("epoll");
        assertThat(Transport.NIO.label()).isEqualTo("nio");
    }

    @Test
    void nioCarriesBytesOverLoopback() throws Exception {
        assertThat(echo(Transport.NIO)).isEqualTo((byte) 42);
    }

    @Test
    void epollCarriesBytesOverLoopbackWhereItLoads() throws Exception {
        assumeTrue(Epoll.isAvailable(), "native epoll does not load here");
        assertThat(echo(Transport.EPOLL)).isEqualTo((byte) 42);
    }

    /** Sends one byte through a server and a client of {@code transport} and returns what came back. */
    private static byte echo(Transport transport) throws Exception {
        MultiThreadIoEventLoopGroup group = transport.newGroup(1, "transport-test");
        try {
            Channel server = new ServerBootstrap().group(group).channel(transport.serverChannel())
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ctx.writeAndFlush(msg);
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            CompletableFuture<Byte> reply = new CompletableFuture<>();
            Channel client = new Bootstrap().group(group).channel(transport.socketChannel())
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ByteBuf buf = (ByteBuf) msg;
                            try {
                                reply.complete(buf.readByte());
                            } finally {
                                buf.release();
                            }
                        }
                    }).connect(server.localAddress()).sync().channel();
            client.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {42})).sync();
            byte b = reply.get(10, TimeUnit.SECONDS);
            client.close().sync();
            server.close().sync();
            return b;
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
