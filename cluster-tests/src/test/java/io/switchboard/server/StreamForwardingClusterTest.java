package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.Closer;
import io.switchboard.testkit.NatsServerProcess;
import io.switchboard.testkit.RedisServerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * HTTP streaming behind a load balancer without sticky sessions, on two nodes over a real redis-server (and a
 * real nats-server): the session's stream is on node A, its commands are posted to node B, and everything the
 * session gets (replies, room messages) arrives on A's stream in order.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class StreamForwardingClusterTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @RegisterExtension
    final Closer closer = new Closer();
    private RedisServerProcess redis;
    private NatsServerProcess nats;
    private ClusterNodes nodes;

    private int[] startTwoNodes(String broker) throws Exception {
        return startTwoNodes(broker, 10_000);
    }

    private int[] startTwoNodes(String broker, int maxPending) throws Exception {
        redis = closer.add(RedisServerProcess.start(false));
        List<String> natsServers = List.of();
        if (broker.equals("nats")) {
            nats = closer.add(NatsServerProcess.started());
            natsServers = List.of("nats://127.0.0.1:" + nats.port());
        }
        nodes = closer.add(new ClusterNodes());
        int[] ports = new int[2];
        for (int i = 0; i < 2; i++) {
            ports[i] = nodes.start(ClusterNodes.config("n" + (i + 1),
                    ClusterNodes.cluster(broker, maxPending, Duration.ofSeconds(1)), redis.port(), natsServers)).port();
        }
        return ports;
    }

    private static HttpResponse<String> post(int port, String session, String body) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/stream/send?session="
                            + session)).timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void overRedisCommandsPostedToTheOtherNodeAreAnsweredInOrderOnTheSessionsStream() throws Exception {
        commandsPostedToTheOtherNodeAreAnsweredInOrderOnTheSessionsStream("redis");
    }

    @Test
    void overNatsCommandsPostedToTheOtherNodeAreAnsweredInOrderOnTheSessionsStream() throws Exception {
        commandsPostedToTheOtherNodeAreAnsweredInOrderOnTheSessionsStream("nats");
    }

    private void commandsPostedToTheOtherNodeAreAnsweredInOrderOnTheSessionsStream(String broker) throws Exception {
        int[] ports = startTwoNodes(broker);
        int a = ports[0];
        int b = ports[1];
        SseClient stream = closer.add(SseClient.open(a, "/stream?id=sam", Map.of()));
        assertThat(stream.status).isEqualTo(200);
        String session = stream.next("session").json().path("session").asText();
        assertThat(session).endsWith(".n1");
        stream.next("welcome");
        WsClient member = closer.add(WsClient.welcomed(b, "wes"));
        member.send("{\"type\":\"join_room\",\"room\":\"lobby\"}");
        member.nextOfType("room_joined");

        HttpResponse<String> joined = post(b, session, "{\"type\":\"join_room\",\"id\":\"j1\",\"room\":\"lobby\"}");
        assertThat(joined.statusCode()).as(joined.body()).isEqualTo(202);
        assertThat(joined.body()).isEqualTo("accepted\n");
        JsonNode roomJoined = stream.next("room_joined").json();
        assertThat(roomJoined.path("id").asText()).isEqualTo("j1");

        // Alternate the nodes the commands are posted to: the stream gets the acks in posting order.
        int count = 20;
        for (int i = 1; i <= count; i++) {
            int port = i % 3 == 0 ? a : b;
            assertThat(post(port, session, "{\"type\":\"room_message\",\"id\":" + i
                    + ",\"room\":\"lobby\",\"content\":\"m" + i + "\"}").statusCode()).isEqualTo(202);
        }
        long lastOffset = 0;
        for (int i = 1; i <= count; i++) {
            JsonNode ack = stream.nextOfType("ack").json();
            assertThat(ack.path("id").asInt()).isEqualTo(i);
            assertThat(ack.path("offset").asLong()).isGreaterThan(lastOffset);
            lastOffset = ack.path("offset").asLong();
        }
        for (int i = 1; i <= count; i++) {
            JsonNode got = member.nextOfType("room_message");
            assertThat(got.path("from").asText()).isEqualTo("sam");
            assertThat(got.path("content").asText()).isEqualTo("m" + i);
        }

        // A room message from node B's member reaches the stream on A; a ping posted to B is answered there too.
        member.send("{\"type\":\"room_message\",\"room\":\"lobby\",\"content\":\"back\"}");
        assertThat(stream.nextOfType("room_message").json().path("content").asText()).isEqualTo("back");
        post(b, session, "{\"type\":\"ping\",\"id\":\"p\"}");
        assertThat(stream.nextOfType("pong").json().path("id").asText()).isEqualTo("p");

        // The protocol's errors come on the stream as for a command posted to A.
        post(b, session, "{\"type\":\"join-room\",\"id\":3,\"room\":\"x\"}");
        assertThat(stream.nextOfType("error").json().path("error").asText())
                .isEqualTo("unknown command type: join-room (did you mean join_room?)");
    }

    @Test
    void aPostForAnEndedSessionIs404AndForANodeThatIsGone504WhileMoreThanMaxPendingWaitingAre503() throws Exception {
        int[] ports = startTwoNodes("redis", 1);
        String session;
        try (SseClient stream = SseClient.open(ports[0], "/stream?id=sam", Map.of())) {
            session = stream.next("session").json().path("session").asText();
            stream.next("welcome");
        }
        Await.until("the stream is gone on n1", () -> nodes.get(0).hub().connectionCount() == 0);
        HttpResponse<String> ended = post(ports[1], session, "{\"type\":\"ping\"}");
        assertThat(ended.statusCode()).isEqualTo(404);
        assertThat(ended.body()).isEqualTo("no such session: it ended, open a new stream (GET /stream)\n");

        SseClient stream = closer.add(SseClient.open(ports[0], "/stream?id=sam", Map.of()));
        String live = stream.next("session").json().path("session").asText();
        nodes.get(0).close();
        var waiting = HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[1]
                        + "/stream/send?session=" + live)).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"ping\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        Await.until("the first command waits for n1", () ->
                Scrape.of(ports[1], "/metrics").value("websocket_stream_forward_waiting") == 1);
        HttpResponse<String> full = post(ports[1], live, "{\"type\":\"ping\"}");
        assertThat(full.statusCode()).isEqualTo(503);
        assertThat(full.body()).isEqualTo("too many commands waiting for other nodes (cluster.maxPending = 1), retry"
                + " later\n");

        HttpResponse<String> gone = waiting.get(10, TimeUnit.SECONDS);
        assertThat(gone.statusCode()).isEqualTo(504);
        assertThat(gone.body()).isEqualTo("node n1 did not take the command within 2000 ms: the session's node may be"
                + " gone, open a new stream (GET /stream)\n");
        Scrape metrics = Scrape.of(ports[1], "/metrics");
        assertThat(metrics.value("websocket_stream_forward_total", "outcome", "timed_out")).isEqualTo(1);
        assertThat(metrics.value("websocket_stream_forward_total", "outcome", "refused_full")).isEqualTo(1);
        assertThat(metrics.value("websocket_stream_forward_total", "outcome", "answered")).isEqualTo(1);
        assertThat(metrics.value("websocket_stream_forward_waiting")).isZero();
    }
}
