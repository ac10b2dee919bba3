package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.nats.NatsServerProcess;
import io.switchboard.redis.RedisServerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * NATS as the broker, history and presence on Redis (each its own process): rooms across nodes, and a
 * NATS kill -9 under load after which every subscriber holds the contiguous offset sequence.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class NatsClusterTest {
    private RedisServerProcess redis;
    private NatsServerProcess nats;
    private ClusterNodes nodes;
    private final List<WsClient> clients = new ArrayList<>();
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        clients.forEach(WsClient::close);
        if (nodes != null) {
            nodes.close();
        }
        if (nats != null) {
            nats.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    private int startNode(String id) {
        return nodes.start(ClusterNodes.config(id, ClusterNodes.cluster("nats", 10_000, Duration.ofSeconds(1)),
                redis.port(), List.of("nats://127.0.0.1:" + nats.port()))).port();
    }

    private WsClient subscriber(int port, String user, String room) {
        WsClient c = WsClient.welcomed(port, user);
        clients.add(c);
        c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\",\"id\":\"j\"}");
        c.nextOfType("room_joined");
        return c;
    }

    @Test
    void killingNatsUnderLoadLosesNothingOnceItIsBack() throws Exception {
        redis = RedisServerProcess.start(false);
        nats = NatsServerProcess.started();
        nodes = new ClusterNodes();
        int[] ports = {startNode("n1"), startNode("n2")};
        String room = "nats-load";
        Subscribers subscribers = new Subscribers();
        closing.add(subscribers);
        for (int i = 0; i < 200; i++) {
            subscribers.add(subscriber(ports[i % 2], "s" + i, room));
        }
        subscribers.startDraining();
        WsClient publisher = subscriber(ports[0], "publisher", room);
        long start = System.nanoTime();
        boolean killed = false;
        boolean restarted = false;
        int sent = 0;
        int rate = 500;
        while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(6)) {
            long elapsed = System.nanoTime() - start;
            if (!killed && elapsed > TimeUnit.MILLISECONDS.toNanos(1500)) {
                nats.kill9();
                killed = true;
            }
            if (killed && !restarted && elapsed > TimeUnit.MILLISECONDS.toNanos(3500)) {
                nats.restart();
                restarted = true;
            }
            while (sent < elapsed * rate / TimeUnit.SECONDS.toNanos(1)) {
                publisher.send("{\"type\":\"room_message\",\"room\":\"" + room + "\",\"content\":\"m" + sent + "\"}");
                sent++;
            }
            Thread.sleep(2);
        }
        long total = awaitQuietPosition(room);
        assertThat(total).as("publishes went through").isGreaterThan(300);
        subscribers.assertEveryoneHolds(total, 60_000);
    }

    private long awaitQuietPosition(String room) throws Exception {
        long last = -1;
        while (true) {
            Thread.sleep(1000);
            long now;
            try {
                now = nodes.get(0).hub().roomInfo(room).toCompletableFuture().join().offset();
            } catch (Exception e) {
                continue;
            }
            if (now == last) {
                return now;
            }
            last = now;
        }
    }
}
