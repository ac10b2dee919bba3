package io.switchboard.client.internal;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.switchboard.protocol.internal.Transport;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The event loops and callback threads every client of this JVM shares: on the shared {@link Transport}
 * (native epoll where available, NIO otherwise or with {@code -Dswitchboard.client.nio=true}); one loop
 * per core, daemon threads, created on first use and never shut down (clients come and go; the threads
 * are idle without them).
 *
 * <p>Thread-safe.
 */
final class SharedLoops {
    static final SharedLoops SHARED = new SharedLoops();

    final EventLoopGroup group;
    final Class<? extends SocketChannel> channelClass;
    /** Pool behind each client's {@link SerialExecutor} when no callback executor is configured. */
    final ExecutorService callbackPool;

    private SharedLoops() {
        Transport transport = Transport.select(Boolean.getBoolean("switchboard.client.nio"));
        this.group = transport.newGroup(Runtime.getRuntime().availableProcessors(), "switchboard-client-io");
        this.channelClass = transport.socketChannel();
        AtomicInteger n = new AtomicInteger();
        ThreadFactory callbackThreads = r -> {
            Thread t = new Thread(r, "switchboard-client-callback-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.callbackPool = Executors.newCachedThreadPool(callbackThreads);
    }
}
