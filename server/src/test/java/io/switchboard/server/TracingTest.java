package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.server.observability.Instrumentation;
import io.switchboard.server.observability.Tracing;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Spans for upgrades (parented by the request's {@code traceparent}) and for each inbound command. */
class TracingTest {
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String PARENT_SPAN_ID = "00f067aa0ba902b7";

    private final InMemorySpanExporter spans = InMemorySpanExporter.create();
    private SdkTracerProvider provider;
    private SwitchboardServer server;

    @BeforeEach
    void start() {
        provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build();
        OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(provider).build();
        server = SwitchboardServer.start(TestServers.config(), Instrumentation.defaults().withOpenTelemetry(otel));
    }

    @AfterEach
    void stop() {
        server.close();
        provider.close();
    }

    private SpanData awaitSpan(String name) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            for (SpanData s : spans.getFinishedSpanItems()) {
                if (s.getName().equals(name)) {
                    return s;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no span " + name + " in " + spans.getFinishedSpanItems());
    }

    @Test
    void theUpgradeSpanContinuesTheTraceOfTheTraceparentHeader() throws Exception {
        WsClient alice = WsClient.connectWithQuery(server.port(), "?id=alice&token=secret-token-value",
                "traceparent", "00-" + TRACE_ID + "-" + PARENT_SPAN_ID + "-01");
        alice.next("welcome");

        SpanData upgrade = awaitSpan(Tracing.UPGRADE_SPAN_NAME);
        assertThat(upgrade.getTraceId()).isEqualTo(TRACE_ID);
        assertThat(upgrade.getParentSpanId()).isEqualTo(PARENT_SPAN_ID);
        assertThat(upgrade.getKind()).isEqualTo(SpanKind.SERVER);
        assertThat(upgrade.getAttributes().asMap().toString()).doesNotContain("secret-token-value");

        alice.send("{\"type\":\"ping\",\"id\":1}");
        alice.next("pong");
        SpanData ping = awaitSpan("websocket.process_ping");
        assertThat(ping.getTraceId()).isEqualTo(TRACE_ID);
        assertThat(ping.getParentSpanId()).isEqualTo(upgrade.getSpanId());
        assertThat(ping.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);

        alice.send("{\"type\":\"leave_room\",\"room\":\"nope\"}");
        assertThat(alice.next("error").path("code").asText()).isEqualTo("not_in_room");
        SpanData leave = awaitSpan("websocket.process_leave_room");
        assertThat(leave.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        alice.close();
    }

    @Test
    void anUpgradeWithoutTraceparentStartsANewTraceAndARefusalIsAnErrorSpan() throws Exception {
        WsClient bob = WsClient.welcomed(server.port(), "bob");
        SpanData upgrade = awaitSpan(Tracing.UPGRADE_SPAN_NAME);
        assertThat(upgrade.getParentSpanContext().isValid()).isFalse();
        bob.close();

        spans.reset();
        CompletableFuture<WebSocket> refused = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/ws?id=bad!id"),
                        new WebSocket.Listener() { });
        assertThat(refused).failsWithin(Duration.ofSeconds(5));
        SpanData refusal = awaitSpan(Tracing.UPGRADE_SPAN_NAME);
        assertThat(refusal.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    }
}
