package io.switchboard.server.node;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.switchboard.core.TimeSource;
import io.switchboard.core.auth.TokenVerifier;
import io.switchboard.core.cluster.BrokerNodeRegistry;
import io.switchboard.core.cluster.NodeRegistry;
import io.switchboard.core.command.CommandHandler;
import io.switchboard.core.config.Security;
import io.switchboard.core.hooks.LifecycleHooks;
import io.switchboard.core.proxy.ClientProxy;
import io.switchboard.core.hub.Connection;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.internal.SlidingRate;
import io.switchboard.core.limit.SecurityCounters;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.server.buffer.Buffers;
import io.switchboard.server.config.EffectiveConfig;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.server.hooks.WebhookSender;
import io.switchboard.server.http.AdminApi;
import io.switchboard.server.http.AdminConsole;
import io.switchboard.server.http.ApiHandler;
import io.switchboard.server.http.ApiKeyThrottle;
import io.switchboard.server.http.HealthEndpoint;
import io.switchboard.server.http.HttpRouter;
import io.switchboard.server.http.MetricsEndpoint;
import io.switchboard.server.http.MonitoringServer;
import io.switchboard.server.http.StaticFiles;
import io.switchboard.server.observability.Instrumentation;
import io.switchboard.server.observability.Observability;
import io.switchboard.server.proxy.ConnectProxy;
import io.switchboard.server.proxy.HttpClientProxy;
import io.switchboard.server.sse.SseEndpoint;
import io.switchboard.server.sse.StreamCommands;
import io.switchboard.server.upgrade.UpgradeGuard;
import io.switchboard.server.websocket.PreEncodedFrame;
import io.switchboard.server.websocket.WebSocketPipeline;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Switchboard node, composed: the hub over its backends, observability, the HTTP endpoints, the
 * upgrade guard, the WebSocket stages and the listeners, on the event loops it is given. The composition
 * root, and the only place that names every part. Lifecycle: {@link #start} once, then {@link #drain}
 * at most once, then {@link #stop}; the facade ({@code SwitchboardServer}) keeps that order. Thread-safe.
 */
public final class Node {
    private static final Logger log = LoggerFactory.getLogger(Node.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Stats rate window: one sample a second, ten seconds. */
    private static final int RATE_WINDOW_SECONDS = 10;

    private final SwitchboardConfig config;
    private final Instrumentation instrumentation;
    private final EventLoops loops;
    private final String version;
    private final Hub hub;
    private final Observability observability;
    private final MetricsEndpoint metrics;
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    /** Admitted WebSockets: the upgrade guard takes a slot, the session's close gives it back. */
    private final AtomicInteger webSockets = new AtomicInteger();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final SlidingRate messageRate = new SlidingRate(RATE_WINDOW_SECONDS);
    /** Refusals of every security limit; the metrics SPI reads {@link SecurityCounters#snapshot()}. */
    private final SecurityCounters securityCounters = new SecurityCounters();
    private final Drain drain;
    /** Null unless {@code hooks.url} is set. */
    private final WebhookSender webhooks;
    /** The cluster's nodes: this node announces itself there and lists the others. */
    private final NodeRegistry registry;
    private volatile boolean started;
    private TokenVerifier tokens;
    private Channel serverChannel;
    private Channel monitoringChannel;
    private StaticFiles files;

    /**
     * @param backends the broker and stores to run over; null builds them from {@code cluster.*}
     * @param version the server's version, reported by {@code /health}, spans and the welcome message
     */
    public Node(SwitchboardConfig config, Instrumentation instrumentation, Hub.Backends backends, EventLoops loops,
                String version) {
        this.config = config;
        this.instrumentation = instrumentation;
        this.loops = loops;
        this.version = version;
        this.observability = new Observability(config, instrumentation, version);
        this.metrics = new MetricsEndpoint(config.monitoring(), observability.registry());
        String nodeId = config.server().nodeId().isEmpty() ? randomNodeId() : config.server().nodeId();
        this.webhooks = config.hooks().enabled() ? new WebhookSender(config.hooks()) : null;
        this.hub = new Hub(config.core(), backends != null ? backends : ClusterBackends.create(config),
                PreEncodedFrame.factory(Buffers.ALLOCATOR),
                new JsonCodec(), TimeSource.SYSTEM, nodeId, version, observability.hubMetrics(), null,
                webhooks != null ? webhooks : LifecycleHooks.NONE);
        this.drain = new Drain(hub, webSockets::get);
        this.registry = ClusterBackends.registry(config, nodeId);
    }

    /**
     * Connects the cluster, binds the listeners and schedules the maintenance; returns once listening.
     *
     * @throws StartException when a port cannot be bound or a backend refuses to start
     */
    public void start() {
        ClusterLink.start(hub, config);
        HealthEndpoint health = new HealthEndpoint(hub, loops.workers(), version,
                () -> started && hub.broker().isConnected(), draining::get, messageRate);
        if (config.cluster().distributed() || hub.storeGuard() != null) {
            health.register("broker", () -> ClusterLink.healthy(hub));
        }
        if (webhooks != null) {
            try {
                webhooks.start();
            } catch (IOException e) {
                throw new StartException(e.getMessage(), e);
            }
            health.register("webhooks", webhooks.healthCheck());
            if (observability.registry() != null) {
                webhooks.bindMetrics(observability.registry());
            }
        }
        instrumentation.healthChecks().forEach(health::register);
        ApiHandler api = new ApiHandler(hub, apiCredentials(), config.websocket().maxMessageBytes(),
                new ApiKeyThrottle(TimeSource.SYSTEM), observability,
                new AdminApi(hub, registry, EffectiveConfig.of(config)), registry);
        AdminConsole admin = config.admin().enabled() ? new AdminConsole() : null;
        boolean adminOnMonitoringPort = admin != null && config.monitoring().port() != 0;
        files = new StaticFiles();
        SslContext tls;
        try {
            tokens = config.security().requireAuth() ? TokenVerifier.create(config.security()) : null;
            tls = TlsContexts.server(config.security());
        } catch (IOException e) {
            throw new StartException(e.getMessage(), e);
        }
        HttpClient proxyHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.proxy().timeout()).build();
        ConnectProxy connectProxy = config.proxy().connect().isEmpty() ? null : new ConnectProxy(config.proxy(),
                proxyHttp, hub.codec());
        HttpClientProxy clientProxy = new HttpClientProxy(config.proxy(), proxyHttp, hub.codec());
        UpgradeGuard guard = new UpgradeGuard(config, tokens, webSockets, draining::get, securityCounters,
                TimeSource.SYSTEM, connectProxy);
        ClientProxy clientCalls = clientProxy.enabled() ? clientProxy : ClientProxy.NONE;
        WebSocketPipeline webSocket = new WebSocketPipeline(config, hub, new CommandHandler(hub, tokens, clientCalls),
                webSockets::decrementAndGet, securityCounters, ServerInitializer.ROUTER,
                ServerInitializer.HTTP_ONLY_STAGES, instrumentation.inboundMessages());
        CommandHandler streamCommands = new CommandHandler(hub, tokens, clientCalls);
        SseEndpoint sse = new SseEndpoint(config, hub, streamCommands, securityCounters, webSockets::decrementAndGet,
                ServerInitializer.DEADLINE, false);
        SseEndpoint streaming = new SseEndpoint(config, hub, streamCommands, securityCounters,
                webSockets::decrementAndGet, ServerInitializer.DEADLINE, true);
        HttpRouter router = new HttpRouter(config.websocket().path(), health, api, files, guard::admit, guard::check,
                webSocket::install, Map.of(SseEndpoint.PATH, sse::open, SseEndpoint.STREAM_PATH, streaming::open),
                Map.of(StreamCommands.PATH, streaming.commands()::handle), observability, metrics,
                adminOnMonitoringPort ? null : admin);
        bind(new ServerInitializer(config, router, tls, guard.origins()));
        observability.bindServer(hub, loops.workers(), channels);
        observability.bindStreamForwarding(streaming.commands().relay()::waiting, streaming.commands().relay().outcomes());
        bindMonitoring(health, adminOnMonitoringPort ? admin : null, api);
        NodeDescription description = new NodeDescription(hub, version, advertisedAddress(), draining::get);
        Maintenance.schedule(config, hub, loops.workers(), messageRate, description);
        if (registry instanceof BrokerNodeRegistry heartbeat && observability.registry() != null) {
            bindRegistryMetrics(heartbeat, observability.registry());
        }
        registry.start(description).whenComplete((v, e) -> {
            if (e != null) {
                log.warn("node registry {} did not start: {}", registry, e.toString());
            }
        });
        started = true;
        log.info("Switchboard {} listening on {}:{} (transport {}, {} event loops, WebSocket path {}, node {})",
                version, config.server().host(), port(), loops.transport(), loops.workers().executorCount(),
                config.websocket().path(), hub.nodeId());
        log.info(whereToGo());
        logSecurity();
    }

    /**
     * {@code host:port} as another machine reaches this node: the configured host, or this machine's address
     * when it listens on every interface. Resolved once, here at start, off the event loops.
     */
    private String advertisedAddress() {
        String host = config.server().host();
        if (host.equals("0.0.0.0") || host.equals("::")) {
            try {
                host = InetAddress.getLocalHost().getHostAddress();
            } catch (IOException e) {
                log.debug("cannot resolve this machine's address: {}", e.toString());
            }
        }
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
    }

    private static void bindRegistryMetrics(BrokerNodeRegistry registry, MeterRegistry meters) {
        Gauge.builder("websocket.cluster.nodes", registry, r -> r.otherNodes() + 1)
                .description("Live nodes of the cluster as this node's registry lists them, this one included")
                .register(meters);
        FunctionCounter.builder("websocket.cluster.registry.rejected", registry, BrokerNodeRegistry::rejected)
                .description("Node registry messages from other nodes dropped as invalid").register(meters);
        FunctionCounter.builder("websocket.cluster.registry.answers.dropped", registry, BrokerNodeRegistry::answersDropped)
                .description("Other nodes' room requests dropped unanswered: too many were queued").register(meters);
    }

    /** The API keys, and {@code admin.password} when the console is enabled with one. */
    private List<String> apiCredentials() {
        List<String> keys = new ArrayList<>(config.api().keys());
        if (config.admin().enabled() && !config.admin().password().isEmpty()) {
            keys.add(config.admin().password());
        }
        return keys;
    }

    /** The addresses a first-time user needs, as they would type them on this machine. */
    String whereToGo() {
        String host = config.server().host();
        String shown = host.equals("0.0.0.0") || host.equals("::") ? "localhost"
                : host.contains(":") ? "[" + host + "]" : host;
        boolean tls = config.security().enableTls();
        String http = (tls ? "https://" : "http://") + shown + ":" + port();
        String ws = (tls ? "wss://" : "ws://") + shown + ":" + port() + config.websocket().path();
        String metrics = !config.monitoring().enabled() ? "off (monitoring.enabled)"
                : (config.monitoring().port() == 0 ? http : "http://" + shown + ":" + monitoringPort())
                        + config.monitoring().metricsPath();
        int keys = config.api().keys().size();
        String api = keys == 0 ? "off (set api.keys to publish over HTTP)"
                : "on at " + http + "/api (" + keys + (keys == 1 ? " key)" : " keys)");
        String admin = !config.admin().enabled() ? ""
                : " | admin " + (config.monitoring().port() == 0 ? http : "http://" + shown + ":" + monitoringPort())
                        + AdminConsole.PATH;
        return "demo " + http + "/ | WebSocket " + ws + " | health " + http + "/health | metrics " + metrics
                + " | API " + api + admin;
    }

    private void bind(ServerInitializer initializer) {
        int high = Math.min(256 * 1024, config.websocket().maxQueuedBytes() / 2);
        ServerBootstrap b = new ServerBootstrap()
                .group(loops.boss(), loops.workers())
                .channel(loops.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, Buffers.ALLOCATOR)
                // One instance for every connection (Netty's default makes one per channel; only the
                // per-channel handle it creates needs to be per connection).
                .childOption(ChannelOption.RECVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator())
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(high / 2, high))
                .childHandler(new ChannelInitializer<Channel>() {
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
            throw StartException.bindFailure(e, config.server().host(), config.server().port(),
                    "--port / server.port");
        }
    }

    /**
     * One line with every security setting in force, so an operator sees the door as configured; at DEBUG
     * (SWITCHBOARD_LOG_LEVEL=debug), since a first start should say where to go, not list thirty settings.
     */
    private void logSecurity() {
        if (!log.isDebugEnabled()) {
            return;
        }
        Security s = config.security();
        log.debug("security: tls={} auth={}{} origins={} rooms={} rate={}/s burst={} closeAfter={} violations"
                        + " perIp={} perUser={} handshakesPerIpPerSecond={} maxConnections={} maxHeaderBytes={}"
                        + " handshakeTimeout={}ms maxFrameBytes={} maxMessageBytes={} compression={}",
                s.enableTls(), s.requireAuth(), s.requireAuth() ? " " + s.jwtAlgorithms() : "",
                s.allowedOrigins().isEmpty() ? "same-host" : s.allowedOrigins(), s.allowedRooms(), s.rateLimitRps(),
                s.rateLimitBurst(), s.maxRateLimitViolations(), s.maxConnectionsPerIp(), s.maxConnectionsPerUser(),
                s.maxHandshakesPerIpPerSecond(), config.websocket().maxConnections(), s.maxHeaderBytes(),
                config.websocket().handshakeTimeout().toMillis(), config.websocket().maxFrameBytes(),
                config.websocket().maxMessageBytes(), config.websocket().enableCompression());
    }

    /**
     * The separate monitoring listener when {@code monitoring.port} is set.
     *
     * @param admin the console when it is served there (with the {@code api} it calls), else null
     */
    private void bindMonitoring(HealthEndpoint health, AdminConsole admin, ApiHandler api) {
        int port = config.monitoring().port();
        if (port == 0) {
            return;
        }
        try {
            monitoringChannel = MonitoringServer.bind(loops.boss(), loops.workers(), loops.serverChannel(),
                    config.server().host(), port, metrics, health, admin, admin == null ? null : api);
            channels.add(monitoringChannel);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartException("interrupted while binding the monitoring port", e);
        } catch (Exception e) {
            throw StartException.bindFailure(e, config.server().host(), port, "monitoring.port");
        }
        log.info("monitoring (metrics {}, /health, /ready{}) on {}:{}", config.monitoring().metricsPath(),
                admin == null ? "" : ", the admin console and its API", config.server().host(), monitoringPort());
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** The bound monitoring port, or 0 when metrics share the server port. */
    public int monitoringPort() {
        return monitoringChannel == null ? 0 : ((InetSocketAddress) monitoringChannel.localAddress()).getPort();
    }

    public Hub hub() {
        return hub;
    }

    /** The cluster's nodes as this node sees them. */
    public NodeRegistry registry() {
        return registry;
    }

    /** Refusal counts of every security limit, for metrics. */
    public SecurityCounters securityCounters() {
        return securityCounters;
    }

    /** The browser files served. */
    public StaticFiles staticFiles() {
        return files;
    }

    /** The server's metrics and tracing. */
    public Observability observability() {
        return observability;
    }

    public boolean isDraining() {
        return draining.get();
    }

    /**
     * Turns readiness and health 503 and refuses new upgrades from now on; true for the first call only,
     * which then owes the drain.
     */
    public boolean beginDrain() {
        return draining.compareAndSet(false, true);
    }

    /**
     * Tells every connection to reconnect elsewhere, spread over {@code window}, and blocks until they are
     * closed or the window (plus the close linger) is over.
     */
    public void drain(Duration window) {
        drain.run(window);
    }

    /** Tells every connection not yet told at once: a second stop signal during the drain. */
    public void hastenDrain() {
        drain.hasten();
    }

    /** Stops at once: connections get close 1001 and are cut, the loops and the backends stop. */
    public void stop() {
        registry.close(); // the goodbye first: the other nodes drop this one at once
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        // 1001 before the cut: "going away" tells clients to reconnect (Netty sends no frame of its own).
        for (Connection c : hub.connections()) {
            c.session().close(CloseCode.GOING_AWAY, "server stopping");
        }
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        loops.boss().shutdownGracefully(0, 2, TimeUnit.SECONDS);
        loops.workers().shutdownGracefully(0, 2, TimeUnit.SECONDS);
        loops.boss().terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        loops.workers().terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (webhooks != null) {
            webhooks.close(); // after the loops: the disconnects of the connections just cut are queued
        }
        metrics.close();
        observability.close();
        hub.close();
        if (tokens != null) {
            tokens.close();
        }
    }

    private static String randomNodeId() {
        return Long.toString(RANDOM.nextLong() & 0xFFFFFFL, 36);
    }
}
