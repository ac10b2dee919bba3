package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.redis.RedisBroker;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.testkit.Closer;
import io.switchboard.testkit.RedisServerProcess;
import io.switchboard.testkit.TcpProxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Redis failures under load, with the servers' own redis-server process: kill -9 and restart, SIGSTOP
 * and SIGCONT. After recovery every subscriber holds the contiguous offset sequence.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RedisFaultTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @RegisterExtension
    final Closer closer = new Closer();
    private RedisServerProcess redis;
    private ClusterNodes nodes;

    private int startNode(String id, int maxPending) {
        return nodes.start(ClusterNodes.config(id, ClusterNodes.cluster("redis", maxPending, Duration.ofMillis(500)),
                redis.port(), List.of())).port();
    }

    private WsClient subscriber(int port, String user, String room) {
        WsClient c = WsClient.welcomed(port, user);
        closer.add(c);
        c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\",\"id\":\"j\"}");
        c.nextOfType("room_joined");
        return c;
    }


    @Test
    void killingRedisUnderLoadLosesNothingOnceItIsBack() throws Exception {
        redis = closer.add(RedisServerProcess.start(true));
        nodes = closer.add(new ClusterNodes());
        int[] ports = {startNode("n1", 10_000), startNode("n2", 10_000)};
        String room = "load";
        Subscribers subscribers = closer.add(new Subscribers());
        for (int i = 0; i < 200; i++) {
            subscribers.add(subscriber(ports[i % 2], "s" + i, room));
        }
        subscribers.startDraining();
        WsClient publisher = subscriber(ports[0], "publisher", room);
        LoadWithOutage.run(publisher, room, 500, 6, redis::kill9, redis::restart);
        long total = nodes.awaitQuietPosition(0, room);
        assertThat(total).as("publishes before the kill and after the restart went through").isGreaterThan(300);
        List<JsonNode> publisherErrors = new Offsets().drain(publisher).others;
        assertThat(publisherErrors).as("publishes during the outage were refused")
                .anySatisfy(m -> assertThat(m.path("code").asText()).isEqualTo("unavailable"));
        subscribers.assertEveryoneHolds(total, 60_000);
    }

    @Test
    void aNodeWhoseSubscriptionGoesSilentCatchesItWithTheProbeAndItsSubscribersMissNothing() throws Exception {
        redis = closer.add(RedisServerProcess.start(true));
        TcpProxy proxy = new TcpProxy(redis.port());
        closer.add(proxy);
        nodes = closer.add(new ClusterNodes());
        int p1 = startNode("n1", 10_000);
        SwitchboardConfig second = ClusterNodes.config("n2", ClusterNodes.cluster("redis", 10_000, Duration.ofMillis(500)),
                proxy.port(), List.of());
        second = second.toBuilder().redis(second.redis().toBuilder().probeInterval(Duration.ofMillis(200))
                .probeTimeout(Duration.ofSeconds(1)).build()).build();
        int p2 = nodes.start(second).port();
        String room = "silent";
        Subscribers subscribers = closer.add(new Subscribers());
        for (int i = 0; i < 100; i++) {
            subscribers.add(subscriber(i % 2 == 0 ? p1 : p2, "s" + i, room));
        }
        subscribers.startDraining();
        WsClient publisher = subscriber(p1, "publisher", room);
        LoadWithOutage.run(publisher, room, 300, 6, () -> freezeSubscriptionsThrough(proxy), () -> { });
        long total = nodes.awaitQuietPosition(0, room);
        assertThat(total).isGreaterThan(1000);
        subscribers.assertEveryoneHolds(total, 60_000);
        RedisBroker broker = (RedisBroker) nodes.get(1).hub().broker();
        assertThat(broker.probesMissed()).as("n2 noticed through its probe, not by luck").isGreaterThanOrEqualTo(1);
        assertThat(broker.isConnected()).isTrue();
    }

    /**
     * Freezes every subscribed connection that goes through {@code proxy} (the hub's and the node registry's):
     * sockets open, nothing arrives.
     */
    private void freezeSubscriptionsThrough(TcpProxy proxy) throws Exception {
        int frozen = 0;
        for (String line : redis.call("CLIENT", "LIST", "TYPE", "pubsub").split("\n")) {
            for (String field : line.split(" ")) {
                if (field.startsWith("addr=") && proxy.freezeConnectionSeenByTargetAs(
                        Integer.parseInt(field.substring(field.lastIndexOf(':') + 1)))) {
                    frozen++;
                }
            }
        }
        // The hub's subscription and the node registry's, each on a connection of its own.
        assertThat(frozen).as("n2's subscribed connections").isEqualTo(2);
    }

    @Test
    void aStalledRedisFailsPublishesFastBoundsWhatIsPendingAndHealthRecovers() throws Exception {
        redis = closer.add(RedisServerProcess.start(false));
        nodes = closer.add(new ClusterNodes());
        int maxPending = 50;
        int port = startNode("n1", maxPending);
        WsClient publisher = subscriber(port, "publisher", "stall");
        publisher.send("{\"type\":\"room_message\",\"room\":\"stall\",\"content\":\"before\",\"id\":0}");
        assertThat(publisher.nextOfType("ack").path("offset").asLong()).isEqualTo(1);
        assertThat(health(port).statusCode()).isEqualTo(200);

        redis.stop();
        try {
            int maxSeenPending = 0;
            for (int i = 1; i <= 300; i++) {
                publisher.send("{\"type\":\"room_message\",\"room\":\"stall\",\"content\":\"x\",\"id\":" + i + "}");
                maxSeenPending = Math.max(maxSeenPending, nodes.get(0).hub().storeGuard().pending());
            }
            assertThat(maxSeenPending).as("calls in flight stay under cluster.maxPending").isLessThanOrEqualTo(maxPending);
            int refused = 0;
            for (int i = 1; i <= 300; i++) {
                JsonNode reply = publisher.next();
                assertThat(reply.path("type").asText()).isEqualTo("error");
                assertThat(reply.path("code").asText()).isEqualTo("unavailable");
                refused++;
            }
            assertThat(refused).isEqualTo(300);
            // The breaker is open now: a publish is refused at once instead of waiting for the deadline.
            long t0 = System.nanoTime();
            publisher.send("{\"type\":\"room_message\",\"room\":\"stall\",\"content\":\"x\",\"id\":\"fast\"}");
            assertThat(publisher.next().path("code").asText()).isEqualTo("unavailable");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as("refused fast").isLessThan(400);
            HttpResponse<String> sick = health(port);
            assertThat(sick.statusCode()).isEqualTo(503);
            assertThat(WsClient.JSON.readTree(sick.body()).path("checks").path("broker").path("status").asText())
                    .isEqualTo("fail");
        } finally {
            redis.cont();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (health(port).statusCode() != 200) {
            assertThat(System.nanoTime()).as("health recovers within 15 s").isLessThan(deadline);
            Thread.sleep(200);
        }
        long offset = -1;
        while (offset < 0) {
            assertThat(System.nanoTime()).as("publishes work again within 15 s").isLessThan(deadline);
            publisher.send("{\"type\":\"room_message\",\"room\":\"stall\",\"content\":\"after\",\"id\":\"after\"}");
            JsonNode reply = publisher.next();
            offset = reply.path("type").asText().equals("ack") ? reply.path("offset").asLong() : -1;
            Thread.sleep(100);
        }
        assertThat(offset).isGreaterThan(1);
    }

    private static HttpResponse<String> health(int port) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
