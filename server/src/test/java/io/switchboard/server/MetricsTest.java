package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Gauge;
import io.switchboard.core.config.WebSocket;
import io.switchboard.server.config.Monitoring;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.server.http.MetricsEndpoint;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /metrics} after a scripted session over real sockets: every series of issue 4 moves by
 * exactly what the session did.
 */
class MetricsTest {
    /** A small outbound cap, so a consumer that stops reading overflows it after a few messages. */
    private static final int MAX_QUEUED = 16 * 1024;
    private SwitchboardServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static SwitchboardConfig config(Monitoring monitoring) {
        SwitchboardConfig c = TestServers.with(TestServers.ws(Duration.ofSeconds(25), Duration.ofSeconds(60),
                Duration.ofSeconds(10), 65536, 65536, MAX_QUEUED, 100, 10, 1000));
        WebSocket ws = c.websocket();
        // A small server send buffer makes the outbound queue fill sooner.
        ws = ws.toBuilder().writeBufferBytes(4096).build();
        return c.toBuilder().websocket(ws).monitoring(monitoring).build();
    }

    /** Retries the assertions on fresh scrapes for a while: the event loops record just after they reply. */
    private static Scrape eventually(int port, Consumer<Scrape> assertions) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        AtomicReference<AssertionError> last = new AtomicReference<>();
        while (System.nanoTime() < deadline) {
            Scrape s = Scrape.of(port, "/metrics");
            try {
                assertions.accept(s);
                return s;
            } catch (AssertionError e) {
                last.set(e);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        throw last.get();
    }

    @Test
    void aScriptedSessionMovesEverySeriesByWhatItDid() throws InterruptedException {
        server = SwitchboardServer.start(config(Monitoring.defaults()));
        int port = server.port();
        Scrape fresh = Scrape.of(port, "/metrics");
        assertThat(fresh.value("websocket_active_connections")).isZero();
        assertThat(fresh.value("websocket_connections_total", "status", "rejected")).isZero();
        assertThat(fresh.value("websocket_connections_total", "status", "rejected", "reason", "origin")).isZero();

        WsClient a = WsClient.welcomed(port, "alice");
        WsClient b = WsClient.welcomed(port, "bob");
        a.send("{\"type\":\"join_room\",\"room\":\"r\",\"id\":1}");
        a.next("room_joined");
        b.send("{\"type\":\"join_room\",\"room\":\"r\",\"id\":1}");
        b.next("room_joined");
        a.next("user_joined_room");
        a.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"hello\",\"id\":2}");
        a.next("ack");
        assertThat(b.next("room_message").path("content").asText()).isEqualTo("hello");
        a.send("not json");
        assertThat(a.next("error").path("code").asText()).isEqualTo("invalid_json");
        a.send("{\"type\":\"leave_room\",\"room\":\"nope\",\"id\":3}");
        assertThat(a.next("error").path("code").asText()).isEqualTo("not_in_room");
        a.sendBinary(new byte[] {0x01, 0, 0, 2, 'h', 'i'});
        assertThat(a.nextBinary()).hasSize(6);
        assertThatThrownBy(() -> WsClient.connect(port, "bad!id")).isNotNull();

        eventually(port, s -> {
            assertThat(s.value("websocket_active_connections")).isEqualTo(2);
            assertThat(s.value("websocket_connections_total", "status", "accepted")).isEqualTo(2);
            assertThat(s.value("websocket_connections_total", "status", "rejected", "reason", "bad_request"))
                    .isEqualTo(1);
            // join, join, publish, "not json", leave
            assertThat(s.value("websocket_messages_total", "direction", "inbound", "type", "text")).isEqualTo(5);
            assertThat(s.value("websocket_messages_total", "direction", "inbound", "type", "binary")).isEqualTo(1);
            // 2 welcomes, 2 room_joined, user_joined_room, ack, room_message, 2 errors
            assertThat(s.value("websocket_messages_total", "direction", "outbound", "type", "text")).isEqualTo(9);
            assertThat(s.value("websocket_messages_total", "direction", "outbound", "type", "binary")).isEqualTo(1);
            assertThat(s.value("websocket_message_size_bytes_count", "direction", "inbound", "type", "text"))
                    .isEqualTo(5);
            assertThat(s.value("websocket_message_size_bytes_sum", "direction", "inbound", "type", "binary"))
                    .isEqualTo(6);
            assertThat(s.value("websocket_message_size_bytes_count", "direction", "outbound", "type", "text"))
                    .isEqualTo(9);
            assertThat(s.value("websocket_message_processing_duration_seconds_count", "message_type", "join_room"))
                    .isEqualTo(2);
            assertThat(s.value("websocket_message_processing_duration_seconds_count",
                    "message_type", "room_message")).isEqualTo(1);
            assertThat(s.value("websocket_message_processing_duration_seconds_count", "message_type", "invalid"))
                    .isEqualTo(1);
            assertThat(s.value("websocket_message_processing_duration_seconds_count", "message_type", "leave_room"))
                    .isEqualTo(1);
            assertThat(s.value("websocket_message_processing_duration_seconds_count", "message_type", "binary"))
                    .isEqualTo(1);
            assertThat(s.value("websocket_errors_total", "error_type", "invalid_json", "component", "protocol"))
                    .isEqualTo(1);
            assertThat(s.value("websocket_errors_total", "error_type", "not_in_room", "component", "command"))
                    .isEqualTo(1);
            assertThat(s.value("websocket_errors_total")).isEqualTo(2);
            assertThat(s.value("websocket_rooms_total")).isEqualTo(1);
            assertThat(s.value("websocket_clients_per_room_count")).isEqualTo(2);
            assertThat(s.value("websocket_clients_per_room_sum")).isEqualTo(1 + 2);
            assertThat(s.value("websocket_connection_duration_seconds_count")).isZero();
            // Fan-out went through at least one flush batch (user_joined_room to alice, hello to bob).
            assertThat(s.value("websocket_fanout_batch_wait_seconds_count")).isPositive();
            assertThat(s.value("websocket_fanout_batch_wait_seconds_bucket", "le", "+Inf"))
                    .isEqualTo(s.value("websocket_fanout_batch_wait_seconds_count"));
        });

        // A member that stops reading overflows its outbound cap and is closed as a slow consumer (bob leaves
        // first: only the slow member receives the flood).
        b.send("{\"type\":\"leave_room\",\"room\":\"r\",\"id\":4}");
        b.next("room_left");
        WsClient slow = WsClient.connectNotReading(port, "slow");
        slow.send("{\"type\":\"join_room\",\"room\":\"r\"}");
        eventually(port, s -> assertThat(s.value("websocket_clients_per_room_count")).isEqualTo(3));
        String big = "x".repeat(8_000);
        for (int i = 0; i < 4000 && !slow.closeCode.isDone(); i++) {
            a.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"" + big + "\"}");
            if (i % 20 == 19 && closedAsSlow(port)) {
                break;
            }
        }
        eventually(port, s -> {
            assertThat(s.value("websocket_slow_consumer_closes_total")).isEqualTo(1);
            assertThat(s.value("websocket_connection_duration_seconds_count", "disconnect_reason", "slow_consumer"))
                    .isEqualTo(1);
            assertThat(s.value("websocket_connections_total", "status", "accepted")).isEqualTo(3);
        });
        slow.close();
        // The server may still be working through the flood a sent; a round trip behind it means its close
        // below is answered at once, however busy the machine is.
        // (It may be refused by the rate limiter the flood ran into: then it is asked again.)
        long syncDeadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        boolean synced = false;
        while (!synced) {
            assertThat(System.nanoTime()).as("the server answers behind the flood within 40 s").isLessThan(syncDeadline);
            a.send("{\"type\":\"presence\",\"room\":\"r\",\"id\":\"sync\"}");
            JsonNode reply = a.next(40_000);
            while (!reply.path("id").asText().equals("sync")) {
                reply = a.next(40_000);
            }
            synced = reply.path("type").asText().equals("presence");
            if (!synced) {
                Thread.sleep(200);
            }
        }

        for (WsClient c : new WsClient[] {a, b}) {
            c.ws.sendClose(1000, "bye").join();
            assertThat(c.awaitClose()).isEqualTo(1000);
            c.close();
        }
        eventually(port, s -> {
            assertThat(s.value("websocket_active_connections")).isZero();
            assertThat(s.value("websocket_connection_duration_seconds_count", "disconnect_reason", "client_close"))
                    .isEqualTo(2);
            assertThat(s.value("websocket_connection_duration_seconds_count")).isEqualTo(3);
            assertThat(s.value("websocket_rooms_total")).isZero();
        });
    }

    private static boolean closedAsSlow(int port) {
        return Scrape.of(port, "/metrics").value("websocket_slow_consumer_closes_total") >= 1;
    }

    @Test
    void theScrapeCarriesMemoryFanOutJvmAndEventLoopSeries() {
        server = SwitchboardServer.start(config(Monitoring.defaults()));
        Scrape s = Scrape.of(server.port(), "/metrics");
        assertThat(s.value("websocket_memory_usage_bytes", "component", "heap")).isPositive();
        assertThat(s.value("websocket_memory_usage_bytes", "component", "netty_direct")).isNotNegative();
        assertThat(s.value("websocket_memory_usage_bytes", "component", "queued_outbound")).isZero();
        assertThat(s.value("websocket_fanout_pending_tasks")).isZero();
        assertThat(s.value("websocket_fanout_dropped_total")).isZero();
        assertThat(s.value("websocket_broker_connected")).isEqualTo(1);
        assertThat(s.value("websocket_broker_probes_missed_total")).isZero();
        assertThat(s.has("jvm_memory_used_bytes")).isTrue();
        assertThat(s.has("jvm_threads_live_threads")).isTrue();
        assertThat(s.has("netty_eventexecutor_tasks_pending")).isTrue();
        assertThat(s.has("netty_allocator_memory_used")).isTrue();
    }

    /** A scrape reads every meter: on an event loop it would hold up every connection of that loop meanwhile. */
    @Test
    void aScrapeIsRenderedOffTheEventLoops() {
        server = SwitchboardServer.start(config(Monitoring.defaults()));
        List<String> readBy = new CopyOnWriteArrayList<>();
        Gauge.builder("test_reader", readBy, r -> {
            r.add(Thread.currentThread().getName());
            return 1;
        }).register(server.observability().registry());
        assertThat(Scrape.of(server.port(), "/metrics").value("test_reader")).isEqualTo(1);
        assertThat(readBy).isNotEmpty().allMatch(name -> name.startsWith("metrics-scrape"), "the scrape thread");
    }

    /** One scrape renders at a time and a few wait; beyond them a scrape is refused with 503, not queued. */
    @Test
    void scrapesBeyondTheQueueAreRefused() throws Exception {
        server = SwitchboardServer.start(config(Monitoring.defaults()));
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Gauge.builder("test_blocking", release, r -> {
            entered.countDown();
            try {
                r.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return 1;
        }).register(server.observability().registry());
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest scrape = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                .timeout(Duration.ofSeconds(20)).build();
        CompletableFuture<HttpResponse<String>> first = http.sendAsync(scrape, HttpResponse.BodyHandlers.ofString());
        assertThat(entered.await(10, TimeUnit.SECONDS)).as("the first scrape is rendering").isTrue();
        List<CompletableFuture<HttpResponse<String>>> more = new ArrayList<>();
        for (int i = 0; i < MetricsEndpoint.MAX_QUEUED_SCRAPES + 1; i++) {
            more.add(http.sendAsync(scrape, HttpResponse.BodyHandlers.ofString()));
        }
        // The refused one answers while the others still wait behind the first.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (more.stream().noneMatch(CompletableFuture::isDone) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        release.countDown();
        List<Integer> codes = new ArrayList<>();
        codes.add(first.get(20, TimeUnit.SECONDS).statusCode());
        for (CompletableFuture<HttpResponse<String>> f : more) {
            codes.add(f.get(20, TimeUnit.SECONDS).statusCode());
        }
        assertThat(codes).filteredOn(c -> c == 503).hasSize(1);
        assertThat(codes).filteredOn(c -> c == 200).hasSize(MetricsEndpoint.MAX_QUEUED_SCRAPES + 1);
    }

    @Test
    void aSeparateMonitoringPortServesMetricsHealthAndReadinessAndTheMainPortDoesNot() throws IOException {
        int monitoringPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            monitoringPort = probe.getLocalPort();
        }
        server = SwitchboardServer.start(config(Monitoring.builder().port(monitoringPort).metricsPath("/prom").build()));
        assertThat(server.monitoringPort()).isEqualTo(monitoringPort);
        assertThat(Scrape.of(monitoringPort, "/prom").value("websocket_active_connections")).isZero();
        assertThat(Scrape.get(monitoringPort, "/health").statusCode()).isEqualTo(200);
        assertThat(Scrape.get(monitoringPort, "/ready").statusCode()).isEqualTo(200);
        assertThat(Scrape.get(monitoringPort, "/ws").statusCode()).isEqualTo(404);
        assertThat(Scrape.get(server.port(), "/prom").statusCode()).isEqualTo(404);
        assertThat(Scrape.get(server.port(), "/metrics").statusCode()).isEqualTo(404);
    }

    @Test
    void monitoringDisabledServesNoMetrics() {
        server = SwitchboardServer.start(config(Monitoring.builder().enabled(false).build()));
        assertThat(Scrape.get(server.port(), "/metrics").statusCode()).isEqualTo(404);
        try (WsClient c = WsClient.welcomed(server.port(), "alice")) {
            c.send("{\"type\":\"ping\"}");
            c.next("pong");
        }
    }
}
