package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.testkit.Closer;
import io.switchboard.testkit.NatsServerProcess;
import io.switchboard.testkit.RedisServerProcess;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * NATS as the broker, history and presence on Redis (each its own process): rooms across nodes, and a
 * NATS kill -9 under load after which every subscriber holds the contiguous offset sequence.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class NatsClusterTest {
    @RegisterExtension
    final Closer closer = new Closer();
    private RedisServerProcess redis;
    private NatsServerProcess nats;
    private ClusterNodes nodes;

    private int startNode(String id) {
        return nodes.start(ClusterNodes.config(id, ClusterNodes.cluster("nats", 10_000, Duration.ofSeconds(1)),
                redis.port(), List.of("nats://127.0.0.1:" + nats.port()))).port();
    }

    private WsClient subscriber(int port, String user, String room) {
        WsClient c = WsClient.welcomed(port, user);
        closer.add(c);
        c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\",\"id\":\"j\"}");
        c.nextOfType("room_joined");
        return c;
    }

    @Test
    void killingNatsUnderLoadLosesNothingOnceItIsBack() throws Exception {
        redis = closer.add(RedisServerProcess.start(false));
        nats = closer.add(NatsServerProcess.started());
        nodes = closer.add(new ClusterNodes());
        int[] ports = {startNode("n1"), startNode("n2")};
        String room = "nats-load";
        Subscribers subscribers = closer.add(new Subscribers());
        for (int i = 0; i < 200; i++) {
            subscribers.add(subscriber(ports[i % 2], "s" + i, room));
        }
        subscribers.startDraining();
        WsClient publisher = subscriber(ports[0], "publisher", room);
        LoadWithOutage.run(publisher, room, 500, 6, nats::kill9, nats::restart);
        long total = nodes.awaitQuietPosition(0, room);
        assertThat(total).as("publishes went through").isGreaterThan(300);
        subscribers.assertEveryoneHolds(total, 60_000);
    }

}
