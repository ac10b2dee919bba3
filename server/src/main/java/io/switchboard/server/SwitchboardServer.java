package io.switchboard.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.switchboard.core.DisconnectReason;
import io.switchboard.core.TimeSource;
import io.switchboard.core.auth.TokenVerifier;
import io.switchboard.core.config.Security;
import io.switchboard.core.config.WebSocket;
import io.switchboard.core.hub.Connection;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.internal.SlidingRate;
import io.switchboard.core.limit.SecurityCounters;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.Names;
import io.switchboard.protocol.ServerMessage;
import io.switchboard.protocol.internal.Transport;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.server.http.StaticFiles;
import io.switchboard.server.node.EventLoops;
import io.switchboard.server.node.Node;
import io.switchboard.server.node.StartException;
import io.switchboard.server.observability.Instrumentation;
import io.switchboard.server.observability.Observability;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.LoggerFactory;

/**
 * One Switchboard node's lifecycle: start, drain, stop. The parts are composed by {@link Node}; this
 * facade picks the I/O transport and keeps the order of the lifecycle. Thread-safe.
 *
 * <p>Lifecycle: {@link #start} binds and returns once listening; {@link #shutdown} drains (readiness
 * 503, new upgrades 503, every connection gets {@code server_shutdown} then close 1012, spread over
 * the drain window) and stops; {@link #close} stops at once.
 */
public final class SwitchboardServer implements AutoCloseable {
    private final Transport transport;
    private final Node node;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final CountDownLatch terminated = new CountDownLatch(1);

    private SwitchboardServer(SwitchboardConfig config, Instrumentation instrumentation, Hub.Backends backends) {
        // -Dswitchboard.transport=nio rules the native library out.
        this.transport = Transport.select("nio".equalsIgnoreCase(System.getProperty("switchboard.transport")));
        int threads = config.server().ioThreads() > 0 ? config.server().ioThreads()
                : Runtime.getRuntime().availableProcessors();
        EventLoops loops = new EventLoops(transport.newGroup(1, "switchboard-accept"),
                transport.newGroup(threads, "switchboard-io"), transport.serverChannel(), transport.label());
        this.node = new Node(config, instrumentation, backends, loops, version());
    }

    /**
     * Starts a node and returns once it listens.
     *
     * @throws StartException when the port cannot be bound, with a message fit for a user
     */
    public static SwitchboardServer start(SwitchboardConfig config) {
        return start(config, Instrumentation.defaults());
    }

    /**
     * Starts a node observed with extra health checks or a given OpenTelemetry, and returns once it listens.
     *
     * @throws StartException when a port cannot be bound, with a message fit for a user
     */
    public static SwitchboardServer start(SwitchboardConfig config, Instrumentation instrumentation) {
        return start(config, instrumentation, null);
    }

    /**
     * Starts a node over the given broker and stores instead of those {@code cluster.*} names: several
     * nodes of one process (tests, embedding) share a {@link io.switchboard.core.broker.MemoryBroker.Bus}
     * and stores this way.
     *
     * @throws StartException when a port cannot be bound, with a message fit for a user
     */
    public static SwitchboardServer start(SwitchboardConfig config, Instrumentation instrumentation,
                                          Hub.Backends backends) {
        SwitchboardServer server = new SwitchboardServer(config, instrumentation, backends);
        try {
            server.node.start();
        } catch (RuntimeException | Error e) {
            server.stopNow();
            throw e;
        }
        return server;
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return node.port();
    }

    /** The bound monitoring port, or 0 when metrics share the server port. */
    public int monitoringPort() {
        return node.monitoringPort();
    }

    public Hub hub() {
        return node.hub();
    }

    /** Refusal counts of every security limit, for metrics. */
    public SecurityCounters securityCounters() {
        return node.securityCounters();
    }

    /** The browser files served (tests). */
    StaticFiles staticFiles() {
        return node.staticFiles();
    }

    /** The server's metrics and tracing (tests). */
    Observability observability() {
        return node.observability();
    }

    /** {@code epoll} or {@code nio}. */
    public String transport() {
        return transport.label();
    }

    public boolean isDraining() {
        return node.isDraining();
    }

    /**
     * Drains and stops: readiness and health turn 503 at once, new upgrades get 503, every connection
     * gets {@code server_shutdown} with a jittered {@code reconnectAfterMs} and close 1012, spread over
     * {@code drain}; connections still open after it (plus the close linger) are cut. Blocks until done.
     */
    public void shutdown(Duration drain) {
        if (!node.beginDrain()) {
            awaitTermination();
            return;
        }
        node.drain(drain);
        stopNow();
    }

    /**
     * Ends a drain early, for a second stop signal: every connection not yet told gets its
     * {@code server_shutdown} and close 1012 now, not at its turn in the drain window, so an impatient
     * operator still gets clients that know to reconnect elsewhere rather than ones cut without a word.
     * Starts the drain first when none runs. Blocks until the server stopped.
     */
    public void hastenShutdown() {
        if (!node.isDraining()) {
            Thread drain = new Thread(() -> shutdown(Duration.ZERO), "switchboard-drain");
            drain.start();
        } else {
            node.hastenDrain();
        }
        awaitTermination();
    }

    /** Stops at once: connections are cut without a close handshake. */
    @Override
    public void close() {
        node.beginDrain();
        stopNow();
    }

    private void stopNow() {
        if (!stopped.compareAndSet(false, true)) {
            awaitTermination();
            return;
        }
        try {
            node.stop();
            LoggerFactory.getLogger(SwitchboardServer.class).info("Switchboard stopped");
        } finally {
            terminated.countDown();
        }
    }

    /** Blocks until the server stopped. */
    public void awaitTermination() {
        try {
            terminated.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The project version, from the build. */
    public static String version() {
        try (InputStream in = SwitchboardServer.class.getResourceAsStream("version.txt")) {
            return in == null ? "dev" : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "dev";
        }
    }
}
