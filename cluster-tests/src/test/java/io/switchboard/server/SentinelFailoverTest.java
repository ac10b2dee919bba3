package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.redis.RedisSettings;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.Closer;
import io.switchboard.testkit.RedisServerProcess;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Redis Sentinel with real processes: a master, one replica and three Sentinels on loopback. The master
 * is killed with SIGKILL under load; the Sentinels promote the replica, the nodes follow them to it, and
 * every subscriber still holds every offset once, in order.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SentinelFailoverTest {
    private static final String MASTER_NAME = "main";
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration AFTER_FAILOVER = Duration.ofSeconds(60);

    @RegisterExtension
    final Closer closer = new Closer();
    private ClusterNodes nodes;

    @Test
    void killingTheMasterUnderLoadFailsOverToTheReplicaAndSubscribersMissNothing() throws Exception {
        RedisServerProcess master = closer.add(RedisServerProcess.start(true));
        RedisServerProcess replica = closer.add(RedisServerProcess.startReplicaOf(master));
        RedisServerProcess second = closer.add(RedisServerProcess.startReplicaOf(master));
        Await.until("the replicas are in sync", WAIT, () -> info(replica, "replication").contains("master_link_status:up")
                && info(second, "replication").contains("master_link_status:up"));
        List<String> sentinels = new ArrayList<>();
        List<RedisServerProcess> watching = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            RedisServerProcess sentinel = closer.add(RedisServerProcess.startSentinel(master, MASTER_NAME, 2,
                    Duration.ofMillis(1000)));
            watching.add(sentinel);
            sentinels.add("127.0.0.1:" + sentinel.port());
        }
        for (RedisServerProcess sentinel : watching) {
            Await.until("each Sentinel knows the replicas and the other Sentinels", WAIT,
                    () -> info(sentinel, "sentinel").contains("slaves=2,sentinels=3"));
        }

        nodes = closer.add(new ClusterNodes());
        // One replica must confirm each append: the failover below must not lose an acknowledged message.
        RedisSettings viaSentinels = RedisSettings.builder().mode("sentinel").sentinels(sentinels)
                .masterName(MASTER_NAME).replicaAcks(1).build();
        int[] ports = {start("n1", viaSentinels), start("n2", viaSentinels)};
        String room = "failover";
        Subscribers subscribers = closer.add(new Subscribers());
        for (int i = 0; i < 100; i++) {
            subscribers.add(member(ports[i % 2], "s" + i, room));
        }
        subscribers.startDraining();
        WsClient publisher = member(ports[0], "publisher", room);

        // Killed at 1.5 s for good: the Sentinels promote one replica and point the other at it, which
        // then confirms the appends.
        LoadWithOutage.run(publisher, room, 200, 12, master::kill9, () -> { });
        Await.until("the Sentinels promoted a replica", WAIT, () -> {
            String sentinel = info(watching.get(0), "sentinel");
            return sentinel.contains("address=127.0.0.1:" + replica.port())
                    || sentinel.contains("address=127.0.0.1:" + second.port());
        });
        long afterLoad = nodes.awaitQuietPosition(0, room);
        assertThat(afterLoad).as("publishes before the kill went through").isGreaterThan(250);
        // How long the Sentinels and the nodes take to settle depends on the machine (an election that
        // splits is retried only after twice the failover timeout), so the load above may end before the
        // nodes append again. Publishing on until appends move the position shows the failover was
        // followed, whenever it completes.
        LoadWithOutage.publishUntil(publisher, room, nodes, 0, afterLoad + 50, AFTER_FAILOVER);
        long total = nodes.awaitQuietPosition(0, room);
        subscribers.assertEveryoneHolds(total, 60_000);
    }

    private int start(String id, RedisSettings settings) {
        SwitchboardConfig config = ClusterNodes.config(id, ClusterNodes.cluster("redis", 10_000, Duration.ofMillis(500)),
                1, List.of());
        return nodes.start(config.toBuilder().redis(settings).build()).port();
    }

    private WsClient member(int port, String user, String room) {
        WsClient c = WsClient.welcomed(port, user);
        closer.add(c);
        c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\",\"id\":\"j\"}");
        c.nextOfType("room_joined");
        return c;
    }

    private static String info(RedisServerProcess server, String section) {
        try {
            return server.call("INFO", section);
        } catch (IOException e) {
            return "";
        }
    }
}
