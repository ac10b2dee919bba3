package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.switchboard.server.observability.Tracing;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.switchboard.testkit.Await;
import io.switchboard.server.config.SwitchboardConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The production exporter path: with {@code tracing.endpoint} set, spans leave the server as OTLP/HTTP
 * protobuf and reach a real HTTP receiver, here a JDK {@link HttpServer} standing in for a collector.
 * {@link TracingTest} covers the spans themselves with an in-memory exporter.
 */
class OtlpExportTest {
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String PARENT_SPAN_ID = "00f067aa0ba902b7";
    private static final String SERVICE_NAME = "otlp-export-test";
    /** OTLP/HTTP binary encoding (OTLP specification, "Binary Protobuf Encoding"). */
    private static final String PROTOBUF = "application/x-protobuf";
    /** Requests kept by the receiver; one flush of this test's few spans needs one or two. */
    private static final int MAX_REQUESTS = 64;

    /** One export request as the receiver saw it. */
    private record Export(String contentType, byte[] body) {
    }

    /** Filled by the receiver's dispatcher thread; overflow drops the request and counts it. */
    private final BlockingQueue<Export> exports = new ArrayBlockingQueue<>(MAX_REQUESTS);
    /** Requests dropped because {@link #exports} was full. */
    private final AtomicInteger dropped = new AtomicInteger();
    private HttpServer collector;
    private SwitchboardServer server;

    @BeforeEach
    void start() throws IOException {
        collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/v1/traces", this::receive);
        collector.start();
        String endpoint = "http://127.0.0.1:" + collector.getAddress().getPort() + "/v1/traces";
        server = SwitchboardServer.start(tracingTo(endpoint));
    }

    @AfterEach
    void stop() {
        server.close();
        collector.stop(0);
    }

    /** The test server configuration with spans exported to {@code endpoint}, every trace sampled. */
    private static SwitchboardConfig tracingTo(String endpoint) {
        SwitchboardConfig c = TestServers.config();
        return c.toBuilder().tracing(io.switchboard.server.config.Tracing.builder().endpoint(endpoint)
                .serviceName(SERVICE_NAME).build()).build();
    }

    /** Answers like a collector that accepted everything: 200 with an empty protobuf body. */
    private void receive(HttpExchange exchange) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            if (!exchange.getRequestMethod().equals("POST")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            if (!exports.offer(new Export(exchange.getRequestHeaders().getFirst("Content-Type"), in.readAllBytes()))) {
                dropped.incrementAndGet();
            }
            exchange.getResponseHeaders().set("Content-Type", PROTOBUF);
            exchange.sendResponseHeaders(200, -1);
        }
    }

    @Test
    void spansReachAnOtlpHttpReceiverAsProtobufInTheTraceOfTheTraceparentHeader() throws Exception {
        try (WsClient alice = WsClient.connectWithHeaders(server.port(), "alice",
                "traceparent", "00-" + TRACE_ID + "-" + PARENT_SPAN_ID + "-01")) {
            alice.next("welcome");
            alice.send("{\"type\":\"join_room\",\"room\":\"r\",\"id\":\"j1\"}");
            alice.next("room_joined");
            alice.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"hi\",\"id\":1}");
            alice.next("ack");
        }
        // Closing shuts the tracer provider down, which flushes the batch processor's queue.
        server.close();
        Await.until("an export request at the receiver", Duration.ofSeconds(15), () -> !exports.isEmpty());

        List<Export> received = new ArrayList<>();
        exports.drainTo(received);
        assertThat(dropped.get()).isZero();
        List<Span> spans = new ArrayList<>();
        for (Export export : received) {
            assertThat(export.contentType()).isEqualTo(PROTOBUF);
            for (ResourceSpans rs : ExportTraceServiceRequest.parseFrom(export.body()).getResourceSpansList()) {
                assertThat(rs.getResource().getAttributesList())
                        .extracting(KeyValue::getKey, kv -> kv.getValue().getStringValue())
                        .contains(tuple("service.name", SERVICE_NAME),
                                tuple("service.version", SwitchboardServer.version()));
                for (ScopeSpans ss : rs.getScopeSpansList()) {
                    spans.addAll(ss.getSpansList());
                }
            }
        }

        Span upgrade = span(spans, Tracing.UPGRADE_SPAN_NAME);
        assertThat(hex(upgrade.getTraceId().toByteArray())).isEqualTo(TRACE_ID);
        assertThat(hex(upgrade.getParentSpanId().toByteArray())).isEqualTo(PARENT_SPAN_ID);
        assertThat(upgrade.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
        for (String command : List.of("join_room", "room_message")) {
            Span processed = span(spans, Tracing.PROCESS_SPAN_PREFIX + command);
            assertThat(processed.getTraceId()).as(command).isEqualTo(upgrade.getTraceId());
            assertThat(processed.getParentSpanId()).as(command).isEqualTo(upgrade.getSpanId());
        }
    }

    private static Span span(List<Span> spans, String name) {
        return spans.stream().filter(s -> s.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no span " + name + " among "
                        + spans.stream().map(Span::getName).toList()));
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
