package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.server.websocket.NettySession;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.RawPeer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md section 4 and issue 2 item 14: draining turns readiness and health to 503 at once,
 * refuses new upgrades with 503, and gives every connection {@code server_shutdown} then close 1012
 * within the drain window; connections that do not close are cut.
 */
class GracefulShutdownTest {
    private static final Duration DRAIN = Duration.ofSeconds(1);
    private static final int CLIENTS = 5;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private SwitchboardServer server;
    private int port;

    @BeforeEach
    void start() {
        server = SwitchboardServer.start(TestServers.config());
        port = server.port();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Runs {@code server.shutdown(DRAIN)} on another thread; completes with its duration in ms. */
    private CompletableFuture<Long> shutdownInBackground() {
        CompletableFuture<Long> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            long t0 = System.nanoTime();
            server.shutdown(DRAIN);
            done.complete((System.nanoTime() - t0) / 1_000_000);
        }, "shutdown");
        t.start();
        return done;
    }

    @Test
    void everyClientGetsServerShutdownThenClose1012AndTheServerRefusesNewWorkWhileDraining() throws Exception {
        List<WsClient> clients = new ArrayList<>();
        try (RawPeer stubborn = RawPeer.connect(port, "/ws?id=stubborn")) {
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(WsClient.welcomed(port, "u" + i));
            }
            assertThat(stubborn.readText()).contains("\"type\":\"welcome\"");

            CompletableFuture<Long> shutdown = shutdownInBackground();
            Await.until("draining", server::isDraining);

            HttpResponse<String> ready = get("/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).isEqualTo("draining\n");
            HttpResponse<String> health = get("/health");
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(WsClient.JSON.readTree(health.body()).path("status").asText()).isEqualTo("draining");
            RawPeer.Response upgrade = RawPeer.refusedUpgrade(port, "/ws?id=late");
            assertThat(upgrade.status()).isEqualTo(503);
            assertThat(upgrade.body()).isEqualTo("server is draining\n");

            for (WsClient c : clients) {
                JsonNode notice = c.next("server_shutdown");
                assertThat(notice.path("content").asText()).isEqualTo("Server is shutting down");
                assertThat(notice.path("reconnectAfterMs").asLong()).isPositive();
                assertThat(c.awaitClose()).isEqualTo(1012);
                assertThat(c.closeReason.getNow(null)).isEqualTo("server restart");
            }

            // The raw peer never answers the close: it still gets notice and close, and is then cut.
            assertThat(WsClient.JSON.readTree(stubborn.readText()).path("type").asText()).isEqualTo("server_shutdown");
            RawPeer.Frame close = stubborn.readUntilClose();
            assertThat(close.closeCode()).isEqualTo(1012);
            assertThat(stubborn.closedByServer((int) NettySession.CLOSE_LINGER_MILLIS + 2000)).isTrue();

            long tookMillis = shutdown.get(DRAIN.toMillis() + NettySession.CLOSE_LINGER_MILLIS + 5000,
                    TimeUnit.MILLISECONDS);
            assertThat(tookMillis).isLessThan(DRAIN.toMillis() + NettySession.CLOSE_LINGER_MILLIS + 3000);
        } finally {
            clients.forEach(WsClient::close);
        }
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
    }

    @Test
    void reconnectHintsAreSpreadOverTheDrainWindow() throws Exception {
        List<WsClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(WsClient.welcomed(port, "u" + i));
            }
            long t0 = System.nanoTime();
            CompletableFuture<Long> shutdown = shutdownInBackground();
            // Watch every client at once: the time each notice arrived, not when it was read.
            List<Long> noticeAtMillis = new ArrayList<>();
            List<WsClient> waiting = new ArrayList<>(clients);
            long deadline = t0 + TimeUnit.SECONDS.toNanos(10);
            while (!waiting.isEmpty() && System.nanoTime() < deadline) {
                for (var it = waiting.iterator(); it.hasNext(); ) {
                    JsonNode m = it.next().messages.peek();
                    if (m != null) {
                        assertThat(m.path("type").asText()).isEqualTo("server_shutdown");
                        noticeAtMillis.add((System.nanoTime() - t0) / 1_000_000);
                        it.remove();
                    }
                }
                Thread.sleep(1);
            }
            assertThat(waiting).as("clients without a notice").isEmpty();
            noticeAtMillis.sort(null);
            assertThat(noticeAtMillis.get(CLIENTS - 1) - noticeAtMillis.get(0))
                    .as("notices spread over the drain window, not all at once").isGreaterThanOrEqualTo(
                            DRAIN.toMillis() / 4);
            assertThat(noticeAtMillis.get(CLIENTS - 1)).isLessThan(DRAIN.toMillis() + 2000);
            shutdown.get(10, TimeUnit.SECONDS);
        } finally {
            clients.forEach(WsClient::close);
        }
    }

    @Test
    void shutdownWithoutConnectionsReturnsPromptly() throws Exception {
        long took = shutdownInBackground().get(5, TimeUnit.SECONDS);
        assertThat(took).isLessThan(1000);
        assertThatThrownBy(() -> get("/ready")).isInstanceOf(IOException.class);
    }
}
