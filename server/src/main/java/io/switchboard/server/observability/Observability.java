package io.switchboard.server.observability;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.FullHttpRequest;
import io.opentelemetry.api.trace.Span;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.server.config.SwitchboardConfig;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * The server's metrics and tracing, composed from the configuration: what the hub reports to
 * ({@link #hubMetrics()}), the registry the metrics endpoint renders, and the hooks the HTTP router
 * calls around an upgrade. With {@code monitoring.enabled=false} and tracing off, every hook is a null
 * check. Serving scrapes over HTTP is the HTTP layer's ({@code MetricsEndpoint}): this package answers
 * no request. Thread-safe.
 */
public final class Observability implements AutoCloseable {
    /** Null when {@code monitoring.enabled=false}. */
    private final MicrometerHubMetrics metrics;
    /** Null when tracing is off. */
    private final Tracing tracing;
    private final HubMetrics hubMetrics;

    /** @param version the server's version, reported with every span */
    public Observability(SwitchboardConfig config, Instrumentation instrumentation, String version) {
        this.metrics = config.monitoring().enabled() ? new MicrometerHubMetrics() : null;
        this.tracing = Tracing.create(config.tracing(), instrumentation.openTelemetry(), version);
        HubMetrics base = metrics != null ? metrics : HubMetrics.NOOP;
        this.hubMetrics = tracing != null ? tracing.wrap(base) : base;
    }

    /** What the hub reports to. */
    public HubMetrics hubMetrics() {
        return hubMetrics;
    }

    boolean tracingEnabled() {
        return tracing != null;
    }

    /** Adds the gauges that read the running server. */
    public void bindServer(Hub hub, EventLoopGroup workers, ChannelGroup channels) {
        if (metrics != null) {
            metrics.bindServer(hub, workers, channels);
        }
    }

    /** Adds the meters of HTTP streaming commands forwarded between nodes. */
    public void bindStreamForwarding(IntSupplier waiting, Map<String, LongAdder> outcomes) {
        if (metrics != null) {
            metrics.bindStreamForwarding(waiting, outcomes);
        }
    }

    /** The registry scrapes render; null with {@code monitoring.enabled=false}. */
    public io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry() {
        return metrics == null ? null : metrics.registry();
    }

    /** Called when an upgrade request reaches admission; returns the span to pass on, or null. */
    public Span upgradeStarted(ChannelHandlerContext ctx, FullHttpRequest req) {
        return tracing == null ? null : tracing.startUpgrade(req, ctx.channel());
    }

    /** The upgrade was refused; {@code label} is the {@code reason} label. */
    public void upgradeRefused(Span span, String label, String reason) {
        if (metrics != null) {
            metrics.upgradeRejected(label);
        }
        if (span != null) {
            Tracing.upgradeRefused(span, reason);
        }
    }

    /** An API call was refused for its key: {@code throttled} when the key was not even checked (429). */
    public void apiKeyRefused(boolean throttled) {
        if (metrics != null) {
            metrics.apiKeyRefused(throttled);
        }
    }

    /** The upgrade was admitted and handed to the WebSocket handshake. */
    public void upgradeAdmitted(Span span, String userId) {
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
