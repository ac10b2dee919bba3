package io.switchboard.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.switchboard.core.TimeSource;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.internal.SlidingRate;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.server.config.Monitoring;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.server.websocket.PreEncodedFrame;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The monitoring port's router on its own: the metrics path, {@code /ready}, and nothing else. */
class MonitoringRouterTest {
    private static final Monitoring MONITORING = new Monitoring(true, 9100, "/prom");
    private final Hub hub = new Hub(SwitchboardConfig.defaults().core(),
            new MemoryHistoryStore(10, Duration.ofMinutes(1), TimeSource.SYSTEM),
            PreEncodedFrame.factory(UnpooledByteBufAllocator.DEFAULT), new JsonCodec(), TimeSource.SYSTEM, "t", "t");
    private final MultiThreadIoEventLoopGroup workers = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final MetricsEndpoint metrics = new MetricsEndpoint(MONITORING, registry);

    @AfterEach
    void close() {
        metrics.close();
        registry.close();
        workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        hub.close();
    }

    private EmbeddedChannel channel() {
        return new EmbeddedChannel(new MonitoringServer.Router(metrics,
                new HealthEndpoint(hub, workers, "t", () -> true, () -> false, new SlidingRate(10))));
    }

    private static FullHttpResponse get(EmbeddedChannel ch, String uri) {
        ch.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        FullHttpResponse res;
        while ((res = ch.readOutbound()) == null && System.nanoTime() < deadline) {
            ch.runPendingTasks(); // answers rendered off the loop come back through its task queue
            Thread.onSpinWait();
        }
        assertThat(res).as("answer to %s", uri).isNotNull();
        return res;
    }

    @Test
    void theMetricsPathIsScrapedAndEverythingButHealthAndReadyIsNotFound() {
        EmbeddedChannel ch = channel();
        FullHttpResponse scrape = get(ch, "/prom");
        assertThat(scrape.status()).isEqualTo(HttpResponseStatus.OK);
        assertThat(scrape.headers().get("content-type")).isEqualTo(MetricsEndpoint.PROMETHEUS_CONTENT_TYPE);
        scrape.release();
        FullHttpResponse ready = get(ch, "/ready");
        assertThat(ready.content().toString(StandardCharsets.UTF_8)).isEqualTo("ready\n");
        ready.release();
        FullHttpResponse api = get(ch, "/api/rooms");
        assertThat(api.status()).isEqualTo(HttpResponseStatus.NOT_FOUND);
        api.release();
        assertThat(ch.isOpen()).isTrue();
        assertFalse(ch.finish());
    }

    @Test
    void aMalformedRequestIsAnswered400AndClosed() {
        EmbeddedChannel ch = channel();
        FullHttpResponse res = get(ch, "/%zz");
        assertThat(res.status()).isEqualTo(HttpResponseStatus.BAD_REQUEST);
        res.release();
        assertThat(ch.isOpen()).isFalse();
        assertFalse(ch.finish());
    }
}
