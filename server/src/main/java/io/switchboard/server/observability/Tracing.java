package io.switchboard.server.observability;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.switchboard.core.DisconnectReason;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.core.transport.Session;
import io.switchboard.protocol.Command;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * OpenTelemetry spans: {@code websocket.upgrade} for each upgrade request, child of the W3C
 * {@code traceparent} it carries, and {@code websocket.process_<type>} for each inbound command, child of
 * its connection's upgrade span. Exists only when tracing is on: with {@code tracing.endpoint} empty the
 * server builds none of this and the hot path has no SDK object on it. Thread-safe.
 */
public final class Tracing implements AutoCloseable {
    /** The upgrade span's context, kept on the channel for the connection's command spans. */
    static final io.netty.util.AttributeKey<SpanContext> UPGRADE_SPAN = io.netty.util.AttributeKey.valueOf(
            "switchboard.upgradeSpan");
    public static final String UPGRADE_SPAN_NAME = "websocket.upgrade";
    public static final String PROCESS_SPAN_PREFIX = "websocket.process_";
    private static final AttributeKey<String> CLIENT_ADDRESS = AttributeKey.stringKey("client.address");
    private static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
    private static final AttributeKey<String> USER_ID = AttributeKey.stringKey("switchboard.user_id");
    private static final AttributeKey<String> CONN_ID = AttributeKey.stringKey("switchboard.conn_id");
    private static final AttributeKey<String> ERROR_CODE = AttributeKey.stringKey("switchboard.error_code");
    private static final AttributeKey<String> REFUSAL = AttributeKey.stringKey("switchboard.refusal");

    private static final TextMapGetter<HttpHeaders> HEADERS = new TextMapGetter<>() {
        @Override
        @SuppressWarnings("deprecation")
        public Iterable<String> keys(HttpHeaders carrier) {
            return carrier.names();
        }

        @Override
        public String get(HttpHeaders carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private final Tracer tracer;
    /** Set when this instance built the SDK and must shut it down; null for an injected OpenTelemetry. */
    private final SdkTracerProvider owned;
    /** Span names by command type, built once so recording concatenates nothing. */
    private final Map<String, String> spanNames = new HashMap<>();

    private Tracing(OpenTelemetry otel, SdkTracerProvider owned, String version) {
        this.tracer = otel.getTracer("io.switchboard.server", version);
        this.owned = owned;
        for (Class<?> type : Command.class.getPermittedSubclasses()) {
            try {
                String name = (String) type.getField("TYPE").get(null);
                spanNames.put(name, PROCESS_SPAN_PREFIX + name);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        spanNames.put(HubMetrics.INVALID_COMMAND, PROCESS_SPAN_PREFIX + HubMetrics.INVALID_COMMAND);
        spanNames.put("binary", PROCESS_SPAN_PREFIX + "binary");
    }

    /** How long one OTLP export may take; shutdown waits for one more. */
    private static final long EXPORT_TIMEOUT_SECONDS = 5;

    /**
     * Tracing for a server: on {@code injected} when given (tests), else an OTLP/HTTP exporter when
     * {@code tracing.endpoint} is set, else null (off).
     */
    static Tracing create(io.switchboard.server.config.Tracing config, OpenTelemetry injected, String version) {
        if (injected != null) {
            return new Tracing(injected, null, version);
        }
        if (!config.enabled()) {
            return null;
        }
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(
                        Attributes.of(AttributeKey.stringKey("service.name"), config.serviceName(),
                                AttributeKey.stringKey("service.version"), version))))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(config.samplePercent() / 100.0)))
                .addSpanProcessor(BatchSpanProcessor.builder(
                        OtlpHttpSpanExporter.builder().setEndpoint(config.endpoint())
                                .setTimeout(EXPORT_TIMEOUT_SECONDS, TimeUnit.SECONDS).build()).build())
                .build();
        OpenTelemetry otel = OpenTelemetrySdk.builder().setTracerProvider(provider).build();
        return new Tracing(otel, provider, version);
    }

    /** Starts the span of an upgrade request, parented by its {@code traceparent} header if any. */
    Span startUpgrade(FullHttpRequest req, Channel channel) {
        Context parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), req.headers(), HEADERS);
        Span span = tracer.spanBuilder(UPGRADE_SPAN_NAME).setParent(parent).setSpanKind(SpanKind.SERVER)
                .setAttribute(URL_PATH, LogRedaction.path(req.uri()))
                .setAttribute(CLIENT_ADDRESS, String.valueOf(channel.remoteAddress()))
                .startSpan();
        channel.attr(UPGRADE_SPAN).set(span.getSpanContext());
        return span;
    }

    static void upgradeAccepted(Span span, String userId) {
        span.setAttribute(USER_ID, userId);
        span.end();
    }

    static void upgradeRefused(Span span, String reason) {
        span.setAttribute(REFUSAL, reason);
        span.setStatus(StatusCode.ERROR, reason);
        span.end();
    }

    /** {@code delegate} plus a span for every processed command. */
    HubMetrics wrap(HubMetrics delegate) {
        return new TracingHubMetrics(delegate);
    }

    @Override
    public void close() {
        if (owned != null) {
            // One export's worth: the last batch gets its full timeout before shutdown gives up on it.
            owned.shutdown().join(EXPORT_TIMEOUT_SECONDS + 1, TimeUnit.SECONDS);
        }
    }

    private void recordCommand(String connId, Session session, String type, long startNanos, long endNanos, String error) {
        String name = spanNames.get(type);
        long endEpochNanos = TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis());
        var builder = tracer.spanBuilder(name != null ? name : PROCESS_SPAN_PREFIX + "other")
                .setSpanKind(SpanKind.SERVER)
                .setStartTimestamp(endEpochNanos - (endNanos - startNanos), TimeUnit.NANOSECONDS)
                .setAttribute(CONN_ID, connId);
        SpanContext upgrade = session instanceof ChannelSession s && s.channel() != null
                ? s.channel().attr(UPGRADE_SPAN).get() : null;
        builder.setParent(upgrade != null && upgrade.isValid()
                ? Context.root().with(Span.wrap(upgrade)) : Context.root());
        Span span = builder.startSpan();
        if (error != null) {
            span.setAttribute(ERROR_CODE, error);
            span.setStatus(StatusCode.ERROR, error);
        }
        span.end(endEpochNanos, TimeUnit.NANOSECONDS);
    }

    /** Delegates every call and adds a span per processed command. */
    private final class TracingHubMetrics implements HubMetrics {
        private final HubMetrics delegate;

        TracingHubMetrics(HubMetrics delegate) {
            this.delegate = delegate;
        }

        @Override
        public void connectionOpened() {
            delegate.connectionOpened();
        }

        @Override
        public void connectionClosed(DisconnectReason reason, long durationNanos) {
            delegate.connectionClosed(reason, durationNanos);
        }

        @Override
        public void messageReceived(FrameType type, int bytes) {
            delegate.messageReceived(type, bytes);
        }

        @Override
        public void messagesSent(FrameType type, int count, int bytes) {
            delegate.messagesSent(type, count, bytes);
        }

        @Override
        public void commandProcessed(String connId, Session session, String type, long startNanos, long endNanos, String error) {
            delegate.commandProcessed(connId, session, type, startNanos, endNanos, error);
            recordCommand(connId, session, type, startNanos, endNanos, error);
        }

        @Override
        public void decodeFailed(String code) {
            delegate.decodeFailed(code);
        }

        @Override
        public void commandFailed(String code) {
            delegate.commandFailed(code);
        }

        @Override
        public void roomJoined(int members) {
            delegate.roomJoined(members);
        }

        @Override
        public void deliveryDropped() {
            delegate.deliveryDropped();
        }

        @Override
        public void transportError(String type) {
            delegate.transportError(type);
        }

        @Override
        public void fanoutFlushed(long waitNanos) {
            delegate.fanoutFlushed(waitNanos);
        }

        @Override
        public void brokerPublished(long nanos, boolean ok) {
            delegate.brokerPublished(nanos, ok);
        }

        @Override
        public void presenceDiffTruncated() {
            delegate.presenceDiffTruncated();
        }

        @Override
        public void publishThrottled(boolean paused) {
            delegate.publishThrottled(paused);
        }

        @Override
        public void latestReplaced() {
            delegate.latestReplaced();
        }
    }
}
