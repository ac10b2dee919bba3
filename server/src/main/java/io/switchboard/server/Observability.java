package io.switchboard.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.buffer.Unpooled;
import io.opentelemetry.api.trace.Span;
import io.switchboard.core.Hub;
import io.switchboard.core.config.SwitchboardConfig;
import io.switchboard.core.metrics.HubMetrics;
import java.nio.charset.StandardCharsets;

/**
 * The server's metrics and tracing, composed from the configuration: what the hub reports to
 * ({@link #hubMetrics()}), the Prometheus endpoint, and the hooks the HTTP router calls around an
 * upgrade. With {@code monitoring.enabled=false} and tracing off, every hook is a null check.
 * Thread-safe.
 */
final class Observability implements AutoCloseable {
    /** Prometheus text exposition format, version 0.0.4. */
    static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final SwitchboardConfig.Monitoring monitoring;
    /** Null when {@code monitoring.enabled=false}. */
    private final MicrometerHubMetrics metrics;
    /** Null when tracing is off. */
    private final Tracing tracing;
    private final HubMetrics hubMetrics;

    Observability(SwitchboardConfig config, Instrumentation instrumentation) {
        this.monitoring = config.monitoring();
        this.metrics = monitoring.enabled() ? new MicrometerHubMetrics() : null;
        this.tracing = Tracing.create(config.tracing(), instrumentation.openTelemetry());
        HubMetrics base = metrics != null ? metrics : HubMetrics.NOOP;
        this.hubMetrics = tracing != null ? tracing.wrap(base) : base;
    }

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

    /** Whether the main port serves {@code path} as the metrics endpoint. */
    boolean metricsOnMainPort(String path) {
        return metrics != null && monitoring.port() == 0 && path.equals(monitoring.metricsPath());
    }

    /** Whether the monitoring port serves {@code path} as the metrics endpoint. */
    boolean metricsPath(String path) {
        return metrics != null && path.equals(monitoring.metricsPath());
    }

    /** Answers a scrape with the Prometheus text format. */
    void scrape(ChannelHandlerContext ctx, FullHttpRequest req) {
        byte[] body = metrics.registry().scrape().getBytes(StandardCharsets.UTF_8);
        HttpResponses.send(ctx, req, HttpResponseStatus.OK, PROMETHEUS_CONTENT_TYPE, Unpooled.wrappedBuffer(body));
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

    /** The upgrade was admitted and handed to the WebSocket handshake. */
    void upgradeAdmitted(Span span, String userId) {
        if (span != null) {
            Tracing.upgradeAccepted(span, userId);
        }
    }

    @Override
    public void close() {
        if (tracing != null) {
            tracing.close();
        }
        if (metrics != null) {
            metrics.close();
        }
    }
}
