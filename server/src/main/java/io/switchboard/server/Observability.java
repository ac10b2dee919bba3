package io.switchboard.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.opentelemetry.api.trace.Span;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.server.config.Monitoring;
import io.switchboard.server.config.SwitchboardConfig;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * The server's metrics and tracing, composed from the configuration: what the hub reports to
 * ({@link #hubMetrics()}), the Prometheus endpoint, and the hooks the HTTP router calls around an
 * upgrade. With {@code monitoring.enabled=false} and tracing off, every hook is a null check.
 * Thread-safe.
 */
final class Observability implements AutoCloseable {
    /** Prometheus text exposition format, version 0.0.4. */
    static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final Monitoring monitoring;
    /** Null when {@code monitoring.enabled=false}. */
    private final MicrometerHubMetrics metrics;
    /** Null when tracing is off. */
    private final Tracing tracing;
    private final HubMetrics hubMetrics;
    /**
     * Renders scrapes off the event loops: a scrape reads every meter (and the outbound queue of every
     * channel), about 10 ms at idle, and on an event loop it held up every connection of that loop as long.
     * One thread and a few queued scrapes; beyond, 503. Null without metrics.
     */
    private final ThreadPoolExecutor scraper;

    Observability(SwitchboardConfig config, Instrumentation instrumentation) {
        this.monitoring = config.monitoring();
        this.metrics = monitoring.enabled() ? new MicrometerHubMetrics() : null;
        this.tracing = Tracing.create(config.tracing(), instrumentation.openTelemetry());
        HubMetrics base = metrics != null ? metrics : HubMetrics.NOOP;
        this.hubMetrics = tracing != null ? tracing.wrap(base) : base;
        this.scraper = metrics == null ? null : new ThreadPoolExecutor(1, 1, 0,
                TimeUnit.SECONDS, new ArrayBlockingQueue<>(MAX_QUEUED_SCRAPES),
                new DefaultThreadFactory("metrics-scrape", true));
    }

    /** Scrapes waiting for the scrape thread before more are refused with 503. */
    static final int MAX_QUEUED_SCRAPES = 8;

    /** What the hub reports to. */
    HubMetrics hubMetrics() {
        return hubMetrics;
    }

    boolean tracingEnabled() {
        return tracing != null;
    }

    /** Adds the gauges that read the running server. */
    void bindServer(Hub hub, EventLoopGroup workers, ChannelGroup channels) {
        if (metrics != null) {
            metrics.bindServer(hub, workers, channels);
        }
    }

    /** The registry scrapes render; null without metrics. For tests that add a meter. */
    io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry() {
        return metrics == null ? null : metrics.registry();
    }

    /** Whether the main port serves {@code path} as the metrics endpoint. */
    boolean metricsOnMainPort(String path) {
        return metrics != null && monitoring.port() == 0 && path.equals(monitoring.metricsPath());
    }

    /** Whether the monitoring port serves {@code path} as the metrics endpoint. */
    boolean metricsPath(String path) {
        return metrics != null && path.equals(monitoring.metricsPath());
    }

    /** Answers a scrape with the Prometheus text format, rendered on the scrape thread. */
    void scrape(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        try {
            scraper.execute(() -> {
                byte[] body = null;
                try {
                    body = metrics.registry().scrape().getBytes(StandardCharsets.UTF_8);
                } catch (RuntimeException e) {
                    LoggerFactory.getLogger(Observability.class).warn("metrics scrape failed", e);
                }
                byte[] rendered = body;
                HttpResponses.later(ctx, () -> {
                    if (rendered == null) {
                        HttpResponses.text(ctx, keepAlive, HttpResponseStatus.INTERNAL_SERVER_ERROR, "scrape failed");
                    } else {
                        HttpResponses.send(ctx, keepAlive, HttpResponseStatus.OK, PROMETHEUS_CONTENT_TYPE,
                                Unpooled.wrappedBuffer(rendered));
                    }
                });
            });
        } catch (RejectedExecutionException e) {
            HttpResponses.text(ctx, keepAlive, HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "too many metrics scrapes at once; try again");
        }
    }

    /** Called when an upgrade request reaches admission; returns the span to pass on, or null. */
    Span upgradeStarted(ChannelHandlerContext ctx, FullHttpRequest req) {
        return tracing == null ? null : tracing.startUpgrade(req, ctx.channel());
    }

    /** The upgrade was refused; {@code label} is the {@code reason} label. */
    void upgradeRefused(Span span, String label, String reason) {
        if (metrics != null) {
            metrics.upgradeRejected(label);
        }
        if (span != null) {
            Tracing.upgradeRefused(span, reason);
        }
    }

    /** An API call was refused for its key: {@code throttled} when the key was not even checked (429). */
    void apiKeyRefused(boolean throttled) {
        if (metrics != null) {
            metrics.apiKeyRefused(throttled);
        }
    }

    /** The upgrade was admitted and handed to the WebSocket handshake. */
    void upgradeAdmitted(Span span, String userId) {
        if (span != null) {
            Tracing.upgradeAccepted(span, userId);
        }
    }

    @Override
    public void close() {
        if (scraper != null) {
            scraper.shutdownNow();
        }
        if (tracing != null) {
            tracing.close();
        }
        if (metrics != null) {
            metrics.close();
        }
    }
}
