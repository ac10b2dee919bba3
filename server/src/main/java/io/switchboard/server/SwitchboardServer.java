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
import io.switchboard.core.hub.Connection;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.internal.SlidingRate;
import io.switchboard.core.config.WebSocket;
import io.switchboard.core.limit.SecurityCounters;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.Names;
import io.switchboard.protocol.ServerMessage;
import io.switchboard.protocol.internal.Transport;
import io.switchboard.server.config.SwitchboardConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Switchboard node: the composition root that wires the hub, its in-memory stores and the Netty
 * transport, and runs graceful shutdown. Thread-safe.
 *
 * <p>Lifecycle: {@link #start} binds and returns once listening; {@link #shutdown} drains (readiness
 * 503, new upgrades 503, every connection gets {@code server_shutdown} then close 1012, spread over
 * the drain window) and stops; {@link #close} stops at once.
 */
public final class SwitchboardServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SwitchboardServer.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** How often idle room histories are swept. */
    private static final long HISTORY_SWEEP_SECONDS = 30;
    /** Stats rate window: one sample a second, ten seconds. */
    private static final int RATE_WINDOW_SECONDS = 10;

    private final SwitchboardConfig config;
    private final Transport transport;
    private final MultiThreadIoEventLoopGroup boss;
    private final MultiThreadIoEventLoopGroup workers;
    private final Hub hub;
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicInteger webSockets = new AtomicInteger();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean stopped = new AtomicBoolean();
    /** Connections already sent {@code server_shutdown}: the drain and a hastened drain both try each. */
    private final Set<Connection> notified = ConcurrentHashMap.newKeySet();
    /** The drain window, for the spread of reconnect hints; set before any notice is scheduled. */
    private volatile long drainMillis;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final SlidingRate messageRate = new SlidingRate(RATE_WINDOW_SECONDS);
    /** Refusals of every security limit; the metrics SPI reads {@link SecurityCounters#snapshot()}. */
    private final SecurityCounters securityCounters = new SecurityCounters();
    private TokenVerifier tokens;
    private volatile boolean started;
    private Channel serverChannel;
    private final Instrumentation instrumentation;
    private final Observability observability;
    private Channel monitoringChannel;
    private StaticFiles files;

    private SwitchboardServer(SwitchboardConfig config, Instrumentation instrumentation, Hub.Backends backends) {
        this.config = config;
        this.instrumentation = instrumentation;
        this.observability = new Observability(config, instrumentation);
        // -Dswitchboard.transport=nio rules the native library out.
        this.transport = Transport.select("nio".equalsIgnoreCase(System.getProperty("switchboard.transport")));
        int threads = config.server().ioThreads() > 0 ? config.server().ioThreads()
                : Runtime.getRuntime().availableProcessors();
        this.boss = transport.newGroup(1, "switchboard-accept");
        this.workers = transport.newGroup(threads, "switchboard-io");
        String nodeId = config.server().nodeId().isEmpty() ? randomNodeId() : config.server().nodeId();
        JsonCodec codec = new JsonCodec();
        this.hub = new Hub(config.core(), backends != null ? backends : ClusterBackends.create(config),
                PreEncodedFrame.factory(Buffers.ALLOCATOR),
                codec, TimeSource.SYSTEM, nodeId, version(), observability.hubMetrics());
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
            server.bind();
        } catch (RuntimeException | Error e) {
            server.stopNow();
            throw e;
        }
        return server;
    }

    private void bind() {
        startCluster();
        HealthEndpoint health = new HealthEndpoint(hub, workers, version(),
                () -> started && hub.broker().isConnected(), draining::get, messageRate);
        if (config.cluster().distributed() || hub.storeGuard() != null) {
            health.register("broker", this::clusterHealthy);
        }
        instrumentation.healthChecks().forEach((name, check) -> health.register(name, check::run));
        ApiHandler api = new ApiHandler(hub, config.api().keys(), config.websocket().maxMessageBytes(),
                new ApiKeyThrottle(TimeSource.SYSTEM), observability);
        files = new StaticFiles();
        io.netty.handler.ssl.SslContext tls;
        try {
            tokens = config.security().requireAuth() ? TokenVerifier.create(config.security()) : null;
            tls = TlsContexts.server(config.security());
        } catch (IOException e) {
            throw new StartException(e.getMessage(), e);
        }
        UpgradeGuard guard = new UpgradeGuard(config, tokens, webSockets, draining::get, securityCounters,
                TimeSource.SYSTEM);
        ServerInitializer initializer = new ServerInitializer(config, hub,
                upgrader -> new HttpRouter(config.websocket().path(), health, api, files, guard::admit, upgrader,
                        observability),
                webSockets::decrementAndGet, tokens, tls, securityCounters);
        int high = Math.min(256 * 1024, config.websocket().maxQueuedBytes() / 2);
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, Buffers.ALLOCATOR)
                // One instance for every connection (Netty's default makes one per channel; only the
                // per-channel handle it creates needs to be per connection).
                .childOption(ChannelOption.RECVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator())
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(high / 2, high))
                .childHandler(new io.netty.channel.ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        channels.add(ch);
                        ch.pipeline().addLast(initializer);
                    }
                });
        if (config.websocket().readBufferBytes() > 0) {
            b.childOption(ChannelOption.SO_RCVBUF, config.websocket().readBufferBytes());
        }
        if (config.websocket().writeBufferBytes() > 0) {
            b.childOption(ChannelOption.SO_SNDBUF, config.websocket().writeBufferBytes());
        }
        try {
            serverChannel = b.bind(config.server().host(), config.server().port()).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartException("interrupted while binding", e);
        } catch (Exception e) {
            throw bindFailure(e);
        }
        observability.bindServer(hub, workers, channels);
        bindMonitoring(health);
        scheduleMaintenance();
        started = true;
        log.info("Switchboard {} listening on {}:{} (transport {}, {} event loops, WebSocket path {}, node {})",
                version(), config.server().host(), port(), transport.label(), workers.executorCount(),
                config.websocket().path(), hub.nodeId());
        logSecurity();
    }

    /** One line with every security setting in force, so an operator sees the door as configured. */
    private void logSecurity() {
        Security s = config.security();
        log.info("security: tls={} auth={}{} origins={} rooms={} rate={}/s burst={} closeAfter={} violations"
                        + " perIp={} perUser={} handshakesPerIpPerSecond={} maxConnections={} maxHeaderBytes={}"
                        + " handshakeTimeout={}ms maxFrameBytes={} maxMessageBytes={} compression={}",
                s.enableTls(), s.requireAuth(), s.requireAuth() ? " " + s.jwtAlgorithms() : "",
                s.allowedOrigins().isEmpty() ? "same-host" : s.allowedOrigins(), s.allowedRooms(), s.rateLimitRps(),
                s.rateLimitBurst(), s.maxRateLimitViolations(), s.maxConnectionsPerIp(), s.maxConnectionsPerUser(),
                s.maxHandshakesPerIpPerSecond(), config.websocket().maxConnections(), s.maxHeaderBytes(),
                config.websocket().handshakeTimeout().toMillis(), config.websocket().maxFrameBytes(),
                config.websocket().maxMessageBytes(), config.websocket().enableCompression());
    }

    /** The separate monitoring listener when {@code monitoring.port} is set. */
    private void bindMonitoring(HealthEndpoint health) {
        int port = config.monitoring().port();
        if (port == 0) {
            return;
        }
        try {
            monitoringChannel = MonitoringServer.bind(boss, workers, transport, config.server().host(), port,
                    observability, health);
            channels.add(monitoringChannel);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartException("interrupted while binding the monitoring port", e);
        } catch (Exception e) {
            throw bindFailure(e, port, "monitoring.port");
        }
        log.info("monitoring (metrics {}, /health, /ready) on {}:{}", config.monitoring().metricsPath(),
                config.server().host(), monitoringPort());
    }

    /** The bound monitoring port, or 0 when metrics share the server port. */
    public int monitoringPort() {
        return monitoringChannel == null ? 0 : ((InetSocketAddress) monitoringChannel.localAddress()).getPort();
    }

    private StartException bindFailure(Exception e) {
        return bindFailure(e, config.server().port(), "--port / server.port");
    }

    private StartException bindFailure(Exception e, int port, String setting) {
        String where = config.server().host() + ":" + port;
        String message = String.valueOf(e.getMessage());
        if (e instanceof BindException || message.contains("Address already in use")) {
            return new StartException("port " + port + " is already in use (" + where
                    + "); stop the other process or choose another with " + setting, e);
        }
        if (message.contains("Cannot assign requested address")) {
            return new StartException("cannot listen on " + where + ": the address is not on this machine", e);
        }
        if (message.contains("Permission denied")) {
            return new StartException("no permission to listen on " + where, e);
        }
        return new StartException("cannot listen on " + where + ": " + message, e);
    }

    /**
     * Connects the broker. A broker that is not reachable yet does not stop the node: it serves its own
     * clients, reports the broker check failing and {@code /ready} 503, and joins the cluster once the
     * broker answers.
     */
    private void startCluster() {
        long waitMillis = Math.max(2000, config.cluster().timeout().toMillis() * 5);
        try {
            hub.start().toCompletableFuture().get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            log.warn("broker {} not reachable after {} ms; serving this node's clients and retrying",
                    hub.broker().describe(), waitMillis);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new StartException("cannot start the broker " + hub.broker().describe() + ": "
                    + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartException("interrupted while connecting the broker", e);
        }
    }

    /** Healthy while the broker is connected and no circuit breaker fails calls fast. */
    private java.util.concurrent.CompletableFuture<Void> clusterHealthy() {
        String problem = null;
        if (!hub.broker().isConnected()) {
            problem = "broker " + hub.broker().describe() + " is not connected";
        } else if (hub.brokerGuard() != null && hub.brokerGuard().isOpen()) {
            problem = "circuit breaker of " + hub.brokerGuard().name() + " is open";
        } else if (hub.storeGuard() != null && hub.storeGuard().isOpen()) {
            problem = "circuit breaker of " + hub.storeGuard().name() + " is open";
        }
        return problem == null ? java.util.concurrent.CompletableFuture.completedFuture(null)
                : java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException(problem));
    }

    /** Per-loop heartbeat ticks and buffer-cache trims, the stats sampler, the history sweep and the presence refresh. */
    private void scheduleMaintenance() {
        WebSocket ws = config.websocket();
        long tickNanos = Math.min(ws.pingInterval().toNanos(), ws.writeWait().toNanos()) / 5;
        tickNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(TimeUnit.SECONDS.toNanos(1), tickNanos));
        for (var executor : workers) {
            EventLoop loop = (EventLoop) executor;
            var shard = hub.shard(loop);
            loop.scheduleAtFixedRate(shard::tick, tickNanos, tickNanos, TimeUnit.NANOSECONDS);
            loop.scheduleAtFixedRate(Buffers::trimThreadCache, Buffers.TRIM_SECONDS, Buffers.TRIM_SECONDS,
                    TimeUnit.SECONDS);
        }
        EventLoop first = workers.next();
        first.scheduleAtFixedRate(() -> messageRate.sample(System.nanoTime(),
                        hub.stats().messagesSent() + hub.stats().messagesReceived()),
                0, 1, TimeUnit.SECONDS);
        first.scheduleAtFixedRate(hub::sweepHistory, HISTORY_SWEEP_SECONDS, HISTORY_SWEEP_SECONDS, TimeUnit.SECONDS);
        if (!config.cluster().presenceStore().equals("memory")) {
            long refreshMillis = Math.max(100, config.cluster().presenceTtl().toMillis() / 3);
            first.scheduleAtFixedRate(() -> hub.refreshPresence().whenComplete((v, e) -> {
                if (e != null) {
                    log.warn("refreshing presence failed: {}", e.toString());
                }
            }), refreshMillis, refreshMillis, TimeUnit.MILLISECONDS);
        }
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public Hub hub() {
        return hub;
    }

    /** Refusal counts of every security limit, for metrics. */
    public SecurityCounters securityCounters() {
        return securityCounters;
    }

    /** The browser files served (tests). */
    StaticFiles staticFiles() {
        return files;
    }

    /** The server's metrics and tracing. */
    Observability observability() {
        return observability;
    }

    /** {@code epoll} or {@code nio}. */
    public String transport() {
        return transport.label();
    }

    public boolean isDraining() {
        return draining.get();
    }

    /**
     * Drains and stops: readiness and health turn 503 at once, new upgrades get 503, every connection
     * gets {@code server_shutdown} with a jittered {@code reconnectAfterMs} and close 1012, spread over
     * {@code drain}; connections still open after it (plus the close linger) are cut. Blocks until done.
     */
    public void shutdown(Duration drain) {
        if (!draining.compareAndSet(false, true)) {
            awaitTermination();
            return;
        }
        drainMillis = drain.toMillis();
        List<Connection> open = new ArrayList<>(hub.connections());
        log.info("draining {} connections over {} ms", open.size(), drain.toMillis());
        long drainNanos = drain.toNanos();
        for (int i = 0; i < open.size(); i++) {
            Connection c = open.get(i);
            long delay = open.size() <= 1 ? 0 : drainNanos * i / open.size();
            ((EventLoop) c.shard().executor()).schedule(() -> sendShutdownNotice(c), delay, TimeUnit.NANOSECONDS);
        }
        long deadline = System.nanoTime() + drainNanos
                + TimeUnit.MILLISECONDS.toNanos(WebSocketSessionHandler.CLOSE_LINGER_MILLIS + 500);
        while (webSockets.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (webSockets.get() > 0) {
            log.info("drain window over; closing {} connections hard", webSockets.get());
        }
        stopNow();
    }

    /**
     * Ends a drain early, for a second stop signal: every connection not yet told gets its
     * {@code server_shutdown} and close 1012 now, not at its turn in the drain window, so an impatient
     * operator still gets clients that know to reconnect elsewhere rather than ones cut without a word.
     * Starts the drain first when none runs. Blocks until the server stopped.
     */
    public void hastenShutdown() {
        if (!draining.get()) {
            Thread drain = new Thread(() -> shutdown(Duration.ZERO), "switchboard-drain");
            drain.start();
        } else {
            log.info("second stop request: notifying the {} remaining connections at once", webSockets.get());
            for (Connection c : hub.connections()) {
                try {
                    c.shard().executor().execute(() -> sendShutdownNotice(c));
                } catch (RejectedExecutionException stopping) {
                    // The drain already ended and the loops are stopping: nothing left to tell.
                }
            }
        }
        awaitTermination();
    }

    /** Tells one connection to reconnect elsewhere and closes it with 1012, once. Its shard thread. */
    private void sendShutdownNotice(Connection c) {
        if (c.session() == null || !notified.add(c)) {
            return;
        }
        long reconnectAfter = 1000 + ThreadLocalRandom.current().nextLong(Math.max(1, drainMillis) + 1);
        hub.send(c, new ServerMessage.ServerShutdown(ServerMessage.ServerShutdown.NOTICE, reconnectAfter));
        hub.close(c, CloseCode.SERVICE_RESTART, "server restart", DisconnectReason.SERVER_SHUTDOWN);
    }

    /** Stops at once: connections are cut without a close handshake. */
    @Override
    public void close() {
        draining.set(true);
        stopNow();
    }

    private void stopNow() {
        if (!stopped.compareAndSet(false, true)) {
            awaitTermination();
            return;
        }
        try {
            if (serverChannel != null) {
                serverChannel.close().syncUninterruptibly();
            }
            // 1001 before the cut: "going away" tells clients to reconnect (Netty sends no frame of its own).
            for (Connection c : hub.connections()) {
                c.session().close(CloseCode.GOING_AWAY, "server stopping");
            }
            channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            boss.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
            workers.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
            observability.close();
            hub.close();
            if (tokens != null) {
                tokens.close();
            }
            log.info("Switchboard stopped");
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

    private static String randomNodeId() {
        return Long.toString(RANDOM.nextLong() & 0xFFFFFFL, 36);
    }

    /** The project version, from the build. */
    public static String version() {
        try (InputStream in = SwitchboardServer.class.getResourceAsStream("version.txt")) {
            return in == null ? "dev" : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "dev";
        }
    }

    /** The server could not start; the message says why in words fit for a user. */
    public static final class StartException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StartException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
