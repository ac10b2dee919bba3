package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.server.http.HealthEndpoint;
import io.switchboard.server.observability.Instrumentation;
import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.testkit.Await;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code /health} (named checks with timeouts), {@code /ready} (separate from liveness) and {@code /stats}. */
class HealthTest {
    private SwitchboardServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static JsonNode json(HttpResponse<String> res) throws Exception {
        return WsClient.JSON.readTree(res.body());
    }

    @Test
    void aHealthyNodeAnswers200WithEveryCheckAndTheSystemBlock() throws Exception {
        server = SwitchboardServer.start(TestServers.config());
        HttpResponse<String> res = Scrape.get(server.port(), "/health");
        assertThat(res.statusCode()).isEqualTo(200);
        JsonNode body = json(res);
        assertThat(body.path("status").asText()).isEqualTo("ok");
        assertThat(body.path("checks").path("eventLoops").path("status").asText()).isEqualTo("ok");
        assertThat(body.path("checks").path("hub").path("status").asText()).isEqualTo("ok");
        JsonNode system = body.path("system");
        for (String field : new String[] {"uptimeMs", "threads", "heapUsedBytes", "heapMaxBytes", "directUsedBytes",
            "gcPauseTotalMs", "gcCount", "version", "connections"}) {
            assertThat(system.has(field)).as("system.%s", field).isTrue();
        }
    }

    @Test
    void aFailingCheckTurnsHealthInto503NamingItWhileReadinessStays200() throws Exception {
        server = SwitchboardServer.start(TestServers.config(), Instrumentation.defaults()
                .withHealthCheck("broker", () -> CompletableFuture.failedFuture(
                        new IllegalStateException("broker unreachable: connection refused"))));
        HttpResponse<String> res = Scrape.get(server.port(), "/health");
        assertThat(res.statusCode()).isEqualTo(503);
        JsonNode body = json(res);
        assertThat(body.path("status").asText()).isEqualTo("fail");
        assertThat(body.path("checks").path("broker").path("status").asText()).isEqualTo("fail");
        assertThat(body.path("checks").path("broker").path("error").asText())
                .isEqualTo("broker unreachable: connection refused");
        assertThat(body.path("checks").path("eventLoops").path("status").asText()).isEqualTo("ok");

        assertThat(Scrape.get(server.port(), "/ready").statusCode()).isEqualTo(200);
    }

    @Test
    void aCheckThatNeverAnswersFailsAfterItsTimeout() throws Exception {
        server = SwitchboardServer.start(TestServers.config(), Instrumentation.defaults()
                .withHealthCheck("stuck", CompletableFuture::new));
        HttpResponse<String> res = Scrape.get(server.port(), "/health");
        assertThat(res.statusCode()).isEqualTo(503);
        assertThat(json(res).path("checks").path("stuck").path("error").asText())
                .isEqualTo("timed out after " + HealthEndpoint.CHECK_TIMEOUT_MILLIS + " ms");
    }

    @Test
    void aThrowingCheckFailsWithItsMessage() throws Exception {
        server = SwitchboardServer.start(TestServers.config(), Instrumentation.defaults()
                .withHealthCheck("store", () -> {
                    throw new IllegalStateException("store closed");
                }));
        HttpResponse<String> res = Scrape.get(server.port(), "/health");
        assertThat(res.statusCode()).isEqualTo(503);
        assertThat(json(res).path("checks").path("store").path("error").asText()).isEqualTo("store closed");
    }

    @Test
    void readinessTurns503WhileDrainingAndHealthSaysDraining() throws Exception {
        server = SwitchboardServer.start(TestServers.config());
        int port = server.port();
        // Two connections over a 4 s window: the second is closed 2 s in, so the node stays up meanwhile.
        try (WsClient a = WsClient.welcomed(port, "alice"); WsClient b = WsClient.welcomed(port, "bob")) {
            Thread drain = new Thread(() -> server.shutdown(java.time.Duration.ofSeconds(4)));
            drain.start();
            Await.until("the drain begins", java.time.Duration.ofSeconds(2), server::isDraining);
            HttpResponse<String> ready = Scrape.get(port, "/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body().strip()).isEqualTo("draining");
            HttpResponse<String> health = Scrape.get(port, "/health");
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(json(health).path("status").asText()).isEqualTo("draining");
            drain.join();
            assertThat(a.awaitClose()).isEqualTo(1012);
            assertThat(b.awaitClose()).isEqualTo(1012);
        }
    }

    @Test
    void statsCountConnectionsAndMessages() throws Exception {
        server = SwitchboardServer.start(TestServers.config());
        try (WsClient c = WsClient.welcomed(server.port(), "alice")) {
            c.send("{\"type\":\"join_room\",\"room\":\"r\"}");
            c.next("room_joined");
            JsonNode stats = json(Scrape.get(server.port(), "/stats"));
            assertThat(stats.path("connectionsActive").asInt()).isEqualTo(1);
            assertThat(stats.path("connectionsTotal").asInt()).isEqualTo(1);
            assertThat(stats.path("messagesReceived").asInt()).isEqualTo(1);
            assertThat(stats.path("messagesSent").asInt()).isEqualTo(2);
            assertThat(stats.path("rooms").asInt()).isEqualTo(1);
            assertThat(stats.has("messagesPerSecond")).isTrue();
        }
    }
}
