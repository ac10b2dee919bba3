package io.switchboard.protocol.internal;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The Netty I/O transport of every Switchboard socket, server or client: native epoll where it loads
 * (Linux with the native library on the class path), NIO everywhere else. One place decides, so the
 * server, the Java client, the CLI's benchmark connections and the benchmark harness's comparison
 * servers all run on the same socket implementation.
 *
 * <p>Each constant names the classes of its transport only when asked, so NIO never touches the epoll
 * classes. Thread-safe (stateless).
 */
public enum Transport {
    EPOLL("epoll") {
        @Override
        public IoHandlerFactory ioHandlerFactory() {
            return EpollIoHandler.newFactory();
        }

        @Override
        public Class<? extends ServerSocketChannel> serverChannel() {
            return EpollServerSocketChannel.class;
        }

        @Override
        public Class<? extends SocketChannel> socketChannel() {
            return EpollSocketChannel.class;
        }
    },
    NIO("nio") {
        @Override
        public IoHandlerFactory ioHandlerFactory() {
            return NioIoHandler.newFactory();
        }

        @Override
        public Class<? extends ServerSocketChannel> serverChannel() {
            return NioServerSocketChannel.class;
        }

        @Override
        public Class<? extends SocketChannel> socketChannel() {
            return NioSocketChannel.class;
        }
    };

    private final String label;

    Transport(String label) {
        this.label = label;
    }

    /** Epoll when the native library loads, NIO otherwise. */
    public static Transport best() {
        return Epoll.isAvailable() ? EPOLL : NIO;
    }

    /** NIO when {@code nioRequested} (a user's switch, e.g. to rule out the native library), else {@link #best()}. */
    public static Transport select(boolean nioRequested) {
        return nioRequested ? NIO : best();
    }

    /** The factory of this transport's I/O handlers, for an event loop group. */
    public abstract IoHandlerFactory ioHandlerFactory();

    /** The channel class a {@code ServerBootstrap} listens with. */
    public abstract Class<? extends ServerSocketChannel> serverChannel();

    /** The channel class a {@code Bootstrap} connects with. */
    public abstract Class<? extends SocketChannel> socketChannel();

    /**
     * A new event loop group of {@code threads} loops on daemon threads named {@code threadPrefix-*}; the
     * caller shuts it down (a daemon loop never keeps the JVM alive on its own).
     */
    public MultiThreadIoEventLoopGroup newGroup(int threads, String threadPrefix) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(threadPrefix, true), ioHandlerFactory());
    }

    /** {@code "epoll"} or {@code "nio"}, as logs and {@code SwitchboardServer.transport()} report it. */
    public String label() {
        return label;
    }
}
