package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.testkit.Closer;
import io.switchboard.testkit.RedisServerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node dies with 500 subscribers on it while another node keeps publishing: they reconnect to the
 * surviving node, rejoin with {@code since}, and end up with every offset exactly once, in order.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class NodeLossTest {
    @RegisterExtension
    final Closer closer = new Closer();
    private RedisServerProcess redis;
    private ClusterNodes nodes;

    private WsClient client(int port, String user) {
        WsClient c = WsClient.welcomed(port, user);
        closer.add(c);
        return c;
    }

    @Test
    void subscribersOfALostNodeRecoverEverythingOnAnother() throws Exception {
        redis = closer.add(RedisServerProcess.start(false));
        nodes = closer.add(new ClusterNodes());
        int doomed = nodes.start(ClusterNodes.config("doomed", ClusterNodes.cluster("redis", 10_000,
                Duration.ofSeconds(2)), redis.port(), List.of())).port();
        int survivor = nodes.start(ClusterNodes.config("survivor", ClusterNodes.cluster("redis", 10_000,
                Duration.ofSeconds(2)), redis.port(), List.of())).port();
        String room = "loss";
        int n = 500;
        List<WsClient> subscribers = new ArrayList<>();
        List<Offsets> received = new ArrayList<>();
        String epoch = null;
        List<java.util.concurrent.Callable<WsClient>> connects = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String user = "s" + i;
            connects.add(() -> {
                WsClient c = WsClient.welcomed(doomed, user);
                c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\",\"id\":\"j\"}");
                c.nextOfType("room_joined");
                return c;
            });
        }
        for (WsClient c : Rejoins.inParallel(connects)) {
            closer.add(c);
            subscribers.add(c);
            received.add(new Offsets());
        }
        WsClient probe = client(doomed, "probe");
        probe.send("{\"type\":\"join_room\",\"room\":\"" + room + "\",\"id\":\"j\"}");
        epoch = probe.nextOfType("room_joined").path("epoch").asText();
        WsClient publisher = client(survivor, "publisher");
        publisher.send("{\"type\":\"join_room\",\"room\":\"" + room + "\",\"id\":\"j\"}");
        publisher.nextOfType("room_joined");

        Thread publishing = new Thread(() -> {
            for (int i = 0; i < 400 && !Thread.currentThread().isInterrupted(); i++) {
                publisher.send("{\"type\":\"room_message\",\"room\":\"" + room + "\",\"content\":\"m" + i + "\"}");
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "publisher");
        publishing.start();
        Thread.sleep(1000);
        nodes.get(0).close();

        List<java.util.concurrent.Callable<WsClient>> moves = new ArrayList<>();
        String lineage = epoch;
        for (int i = 0; i < n; i++) {
            WsClient old = subscribers.get(i);
            Offsets o = received.get(i);
            String user = "s" + i;
            moves.add(() -> {
                assertThat(old.closeCode.get(10, TimeUnit.SECONDS)).as("the dying node says going away")
                        .isEqualTo(1001);
                o.drain(old);
                WsClient again = WsClient.welcomed(survivor, user);
                assertThat(Rejoins.rejoin(again, o, room, lineage).path("recovered").asBoolean()).as("recovered").isTrue();
                return again;
            });
        }
        List<WsClient> moved = Rejoins.inParallel(moves);
        moved.forEach(closer::add);
        publishing.join(30_000);
        long total = nodes.awaitQuietPosition(1, room);
        assertThat(total).isEqualTo(400);
        for (int i = 0; i < n; i++) {
            Offsets o = received.get(i).awaitOffset(moved.get(i), total, 30_000);
            o.assertContiguous(1, total);
        }
    }
}
