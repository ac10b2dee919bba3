package io.switchboard.client.internal;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The event loops and callback threads every client of this JVM shares: native epoll where
 * available, NIO otherwise; one loop per core, daemon threads, created on first use and never
 * shut down (clients come and go; the threads are idle without them).
 *
 * <p>Thread-safe.
 */
final class Transport {
    static final Transport SHARED = new Transport();

    final EventLoopGroup group;
    final Class<? extends SocketChannel> channelClass;
    /** Pool behind each client's {@link SerialExecutor} when no callback executor is configured. */
    final ExecutorService callbackPool;

    private Transport() {
        boolean epoll = Epoll.isAvailable() && !Boolean.getBoolean("switchboard.client.nio");
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.group = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(),
                new DefaultThreadFactory("switchboard-client-io", true), io);
        this.channelClass = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        AtomicInteger n = new AtomicInteger();
        ThreadFactory callbackThreads = r -> {
            Thread t = new Thread(r, "switchboard-client-callback-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.callbackPool = Executors.newCachedThreadPool(callbackThreads);
    }
}
