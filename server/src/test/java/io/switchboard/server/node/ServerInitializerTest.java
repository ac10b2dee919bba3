package io.switchboard.server.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.Unpooled;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalIoHandler;
import io.switchboard.core.TimeSource;
import io.switchboard.core.command.CommandHandler;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.internal.SlidingRate;
import io.switchboard.core.limit.SecurityCounters;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.server.buffer.Buffers;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.server.http.ApiHandler;
import io.switchboard.server.http.ApiKeyThrottle;
import io.switchboard.server.http.HealthEndpoint;
import io.switchboard.server.http.HttpRouter;
import io.switchboard.server.http.MetricsEndpoint;
import io.switchboard.server.http.StaticFiles;
import io.switchboard.server.observability.Instrumentation;
import io.switchboard.server.observability.Observability;
import io.switchboard.server.upgrade.UpgradeGuard;
import io.switchboard.server.websocket.EmbeddedPeers;
import io.switchboard.server.websocket.PreEncodedFrame;
import io.switchboard.server.websocket.WebSocketPipeline;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pipeline as the node composes it, on an embedded channel: the HTTP stages in their order, and after
 * an upgrade through the real router, guard and WebSocket stages, only the WebSocket stages.
 */
class ServerInitializerTest {
    private static final SwitchboardConfig CONFIG = SwitchboardConfig.defaults();
    private final Hub hub = new Hub(CONFIG.core(), new MemoryHistoryStore(10, Duration.ofMinutes(1), TimeSource.SYSTEM),
            PreEncodedFrame.factory(Buffers.ALLOCATOR), new JsonCodec(), TimeSource.SYSTEM, "t", "t");
    private final MultiThreadIoEventLoopGroup workers = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    private final Observability observability = new Observability(CONFIG, Instrumentation.defaults(), "t");
    private final MetricsEndpoint metrics = new MetricsEndpoint(CONFIG.monitoring(), null);
    private final AtomicInteger webSockets = new AtomicInteger();

    @AfterEach
    void close() {
        metrics.close();
        observability.close();
        workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        hub.close();
    }

    private EmbeddedChannel channel() {
        SecurityCounters counters = new SecurityCounters();
        HealthEndpoint health = new HealthEndpoint(hub, workers, "t", () -> true, () -> false, new SlidingRate(10));
        ApiHandler api = new ApiHandler(hub, List.of("key"), 1024, new ApiKeyThrottle(TimeSource.SYSTEM),
                observability);
        UpgradeGuard guard = new UpgradeGuard(CONFIG, null, webSockets, () -> false, counters, TimeSource.SYSTEM);
        WebSocketPipeline webSocket = new WebSocketPipeline(CONFIG, hub, new CommandHandler(hub, null),
                webSockets::decrementAndGet, counters, ServerInitializer.ROUTER, ServerInitializer.HTTP_ONLY_STAGES, null);
        HttpRouter router = new HttpRouter(CONFIG.websocket().path(), health, api, new StaticFiles(), guard::admit,
                guard::check, webSocket::install, java.util.Map.of(), java.util.Map.of(), observability, metrics);
        return new EmbeddedChannel(new ServerInitializer(CONFIG, router, null, guard.origins()));
    }

    @Test
    void untilTheUpgradeAConnectionSpeaksHttpThroughTheNamedStagesInOrder() {
        EmbeddedChannel ch = channel();
        assertThat(ch.pipeline().names()).containsSubsequence(ServerInitializer.DEADLINE, ServerInitializer.HTTP,
                ServerInitializer.PIPELINING, ServerInitializer.AGGREGATOR, ServerInitializer.CORS, ServerInitializer.ROUTER);
        ch.writeInbound(Unpooled.copiedBuffer("GET /ready HTTP/1.1\r\nHost: localhost\r\n\r\n",
                StandardCharsets.US_ASCII));
        assertThat(EmbeddedPeers.written(ch)).startsWith("HTTP/1.1 200 OK").endsWith("ready\n");
        assertFalse(ch.finish());
    }

    @Test
    void afterTheHandshakeOnlyTheWebSocketStagesRemain() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Unpooled.copiedBuffer("GET " + CONFIG.websocket().path() + "?id=alice HTTP/1.1\r\n"
                + "Host: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                StandardCharsets.US_ASCII));
        assertThat(EmbeddedPeers.written(ch)).startsWith("HTTP/1.1 101 Switching Protocols").contains("\"userId\":\"alice\"");
        assertThat(ch.pipeline().names()).contains("wsdecoder", "wsencoder")
                .containsSubsequence(WebSocketPipeline.LIMIT, WebSocketPipeline.SESSION).doesNotContain(ServerInitializer.DEADLINE, ServerInitializer.HTTP,
                ServerInitializer.PIPELINING, ServerInitializer.AGGREGATOR, ServerInitializer.ROUTER,
                WebSocketPipeline.PROTOCOL);
        assertThat(webSockets.get()).isEqualTo(1);
        ch.close();
        assertThat(webSockets.get()).isZero();
        assertThat(hub.connectionCount()).isZero();
        assertFalse(ch.finish());
    }
}
