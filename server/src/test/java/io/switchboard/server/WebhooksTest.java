package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.server.config.Hooks;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.Closer;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Lifecycle webhooks posted to a real HTTP backend by a real server with real WebSocket clients. */
class WebhooksTest {
    private static final String SECRET = "webhook-secret-0123456789";
    private static final Duration WAIT = Duration.ofSeconds(15);

    /**
     * Newest first: a backend that comes back after the server started is closed before it, once the test has seen
     * every event delivered, so the server's close has nothing left to post.
     */
    @RegisterExtension
    final Closer closer = new Closer();
    private TestBackend backend;
    private SwitchboardServer server;

    private int start(String url, Hooks.Builder hooks) {
        server = closer.add(SwitchboardServer.start(TestServers.config().toBuilder()
                .hooks(TestServers.hooks(hooks, url, SECRET).build()).build()));
        return server.port();
    }

    private List<JsonNode> events() {
        return backend.events();
    }

    private List<String> typesOf(String connId) {
        return backend.typesOf(connId);
    }

    private static void join(WsClient c, String room) {
        c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\"}");
        c.nextOfType("room_joined");
    }

    private static void leave(WsClient c, String room) {
        c.send("{\"type\":\"leave_room\",\"room\":\"" + room + "\"}");
        c.nextOfType("room_left");
    }

    private static String hmac(byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    }

    @Test
    void aConnectionsLifeArrivesSignedAndInOrderWithEveryField() throws Exception {
        backend = closer.add(TestBackend.start());
        int port = start(backend.url("/switchboard/events"), Hooks.builder());
        WsClient a = WsClient.connect(port, "alice");
        String connId = a.next("welcome").path("connId").asText();
        join(a, "lobby");
        leave(a, "lobby");
        a.close();
        Await.until("the disconnect event", WAIT, () -> typesOf(connId).size() == 6);

        assertThat(typesOf(connId)).containsExactly("connect", "join lobby", "occupied lobby", "leave lobby",
                "vacated lobby", "disconnect (client_close)");
        for (TestBackend.Request r : backend.requests) {
            assertThat(r.method()).isEqualTo("POST");
            assertThat(r.path()).isEqualTo("/switchboard/events");
            assertThat(r.header("Content-Type")).isEqualTo("application/json");
            assertThat(r.header("X-Switchboard-Signature")).isEqualTo(hmac(r.body()));
        }
        JsonNode join = events().stream().filter(e -> e.path("type").asText().equals("join")).findFirst().get();
        assertThat(join.path("node").asText()).isEqualTo("t1");
        assertThat(join.path("userId").asText()).isEqualTo("alice");
        assertThat(join.path("ts").asLong()).isBetween(System.currentTimeMillis() - 60_000,
                System.currentTimeMillis());
        assertThat(join.path("id").asText()).startsWith("t1-");
        assertThat(join.has("reason")).isFalse();
    }

    @Test
    void occupiedAndVacatedComeOncePerTransitionWhateverTheNumberOfMembers() {
        backend = closer.add(TestBackend.start());
        int port = start(backend.url("/events"), Hooks.builder());
        List<WsClient> clients = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            WsClient c = WsClient.welcomed(port, "u" + i);
            join(c, "busy");
            clients.add(c);
        }
        clients.forEach(c -> leave(c, "busy"));
        join(clients.get(0), "busy"); // occupied again: a second transition
        clients.forEach(WsClient::close);
        Await.until("every disconnect", WAIT, () -> count("disconnect") == 6);

        assertThat(count("join")).isEqualTo(7);
        assertThat(count("occupied")).isEqualTo(2);
        assertThat(count("vacated")).isEqualTo(2);
        List<String> roomEvents = events().stream().map(e -> e.path("type").asText())
                .filter(t -> t.equals("occupied") || t.equals("vacated")).toList();
        assertThat(roomEvents).containsExactly("occupied", "vacated", "occupied", "vacated");
    }

    private long count(String type) {
        return events().stream().filter(e -> e.path("type").asText().equals(type)).count();
    }

    @Test
    void aBatchAnswered500IsRetriedUntil2xxAndHealthShowsTheFailingEndpoint() throws Exception {
        backend = closer.add(TestBackend.start());
        AtomicInteger failures = new AtomicInteger(Integer.MAX_VALUE);
        backend.answer(r -> failures.getAndDecrement() > 0 ? TestBackend.Response.status(500)
                : TestBackend.Response.ok("{}"));
        int port = start(backend.url("/events"), Hooks.builder());
        WsClient a = WsClient.connect(port, "alice");
        String connId = a.next("welcome").path("connId").asText();
        Await.until("two failed attempts", WAIT,
                () -> Scrape.of(port, "/metrics").value("webhook_attempts_failed_total") >= 2);

        HttpResponse<String> health = Scrape.get(port, "/health");
        assertThat(health.statusCode()).isEqualTo(503);
        JsonNode check = WsClient.JSON.readTree(health.body()).path("checks").path("webhooks");
        assertThat(check.path("status").asText()).isEqualTo("fail");
        assertThat(check.path("error").asText()).contains(backend.url("/events") + " failing:")
                .contains("last status 500").contains("1 events waiting");

        failures.set(0);
        Await.until("the connect delivered", WAIT, () -> typesOf(connId).equals(List.of("connect")));
        List<TestBackend.Request> all = List.copyOf(backend.requests);
        assertThat(all).hasSizeGreaterThanOrEqualTo(3);
        // The same batch each time: same body, same ids, so the backend can drop what it already has.
        assertThat(all).allSatisfy(r -> assertThat(r.body()).isEqualTo(all.get(0).body()));
        Await.until("health ok again", WAIT, () -> Scrape.get(port, "/health").statusCode() == 200);
        assertThat(Scrape.of(port, "/metrics").value("webhook_attempts_failed_total"))
                .isEqualTo(all.size() - 1);
        a.close();
    }

    @Test
    void eventsWaitWhileTheBackendIsDownAndAllArriveWhenItComesBack() {
        int deadPort = TestBackend.deadPort();
        int port = start("http://127.0.0.1:" + deadPort + "/events", Hooks.builder());
        List<String> connIds = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            WsClient c = WsClient.connect(port, "u" + i);
            connIds.add(c.next("welcome").path("connId").asText());
            join(c, "r");
            c.close();
            // The next member may only join once this one has left: each is to fill the empty room again.
            Await.until("u" + i + " gone", WAIT, () -> Scrape.of(port, "/metrics").value("websocket_rooms_total") == 0
                    && Scrape.of(port, "/metrics").value("websocket_active_connections") == 0);
        }
        Await.until("a failing health check", WAIT, () -> Scrape.get(port, "/health").statusCode() == 503);

        backend = closer.add(TestBackend.start(deadPort));
        Await.until("every event", WAIT, () -> count("disconnect") == 5);
        for (String connId : connIds) {
            assertThat(typesOf(connId)).startsWith("connect", "join r").endsWith("disconnect (client_close)")
                    .contains("leave r (client_close)");
        }
        assertThat(count("occupied")).isEqualTo(5);
        assertThat(count("vacated")).isEqualTo(5);
    }

    @Test
    void aGracefulShutdownPostsWhatIsStillQueuedIncludingTheDisconnectsOfTheConnectionsItCloses() {
        backend = closer.add(TestBackend.start());
        // A slow backend: the events of the shutdown are still queued when the node begins to stop.
        backend.answer(r -> new TestBackend.Response(200, "{}", 100));
        int port = start(backend.url("/events"), Hooks.builder().batchMaxEvents(5));
        for (int i = 0; i < 5; i++) {
            WsClient c = WsClient.welcomed(port, "u" + i);
            join(c, "r");
        }
        server.close();

        assertThat(count("disconnect")).as("posted before close returned").isEqualTo(5);
        assertThat(count("vacated")).isEqualTo(1);
    }

    @Test
    void aFullQueueDropsTheOldestCountsThemAndDeliversTheNewest() {
        int deadPort = TestBackend.deadPort();
        int port = start("http://127.0.0.1:" + deadPort + "/events",
                Hooks.builder().events(List.of("connect")).batchMaxEvents(1).maxQueued(5));
        WebhookQueueFill fill = WebhookQueueFill.connect(port, 12, WAIT);
        // The first connect is in flight (retried), the last five wait; the six between were dropped.
        Await.until("six drops counted", WAIT, () -> Scrape.of(port, "/metrics")
                .value("webhook_events_total", "outcome", "dropped") == 6);
        assertThat(Scrape.of(port, "/metrics").value("webhook_queue_events")).isEqualTo(5);

        backend = closer.add(TestBackend.start(deadPort));
        Await.until("the rest delivered", WAIT, () -> count("connect") == 6);
        List<String> delivered = events().stream().map(e -> e.path("connId").asText()).toList();
        List<String> expected = new ArrayList<>(fill.connIds().subList(0, 1));
        expected.addAll(fill.connIds().subList(7, 12));
        assertThat(delivered).containsExactlyElementsOf(expected);
        Await.until("six counted as delivered", WAIT, () -> Scrape.of(port, "/metrics")
                .value("webhook_events_total", "outcome", "delivered") == 6);
        fill.clients().forEach(WsClient::close);
    }

    @Test
    void eachConnectionsEventsStayInOrderAcrossBatchesAndRetries() {
        backend = closer.add(TestBackend.start());
        AtomicInteger n = new AtomicInteger();
        backend.answer(r -> n.incrementAndGet() % 3 == 0 ? TestBackend.Response.status(503)
                : TestBackend.Response.ok("{}"));
        int port = start(backend.url("/events"), Hooks.builder().batchMaxEvents(7));
        List<String> connIds = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int id = t;
            Thread thread = new Thread(() -> {
                for (int i = 0; i < 5; i++) {
                    WsClient c = WsClient.connect(port, "u" + id + "x" + i);
                    String connId = c.next("welcome").path("connId").asText();
                    synchronized (connIds) {
                        connIds.add(connId);
                    }
                    join(c, "room" + (i % 2));
                    join(c, "other");
                    leave(c, "room" + (i % 2));
                    c.close();
                }
            });
            thread.start();
            threads.add(thread);
        }
        threads.forEach(t -> {
            try {
                t.join(30_000);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        Await.until("every disconnect", WAIT, () -> count("disconnect") == 20);

        assertThat(connIds).hasSize(20);
        for (String connId : connIds) {
            List<String> types = typesOf(connId).stream().map(t -> t.split(" ")[0])
                    .filter(t -> !t.equals("occupied") && !t.equals("vacated")).toList();
            assertThat(types).as(connId).containsExactly("connect", "join", "join", "leave", "leave", "disconnect");
        }
        Set<String> ids = new LinkedHashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        for (TestBackend.Request r : backend.requests) {
            r.json().path("events").forEach(e -> {
                ids.add(e.path("id").asText());
                seen.merge(e.path("id").asText(), 1, Integer::sum);
            });
        }
        assertThat(ids).hasSize(events().size());
        assertThat(seen.values()).as("retries repeat ids").contains(2);
    }
}
