package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.redis.RedisSettings;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.Closer;
import io.switchboard.testkit.RedisClusterProcess;
import io.switchboard.testkit.RedisServerProcess;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Switchboard nodes over a real Redis Cluster ({@code redis.mode: cluster}) on loopback: rooms whose shard channels
 * live on every master, and a master killed with SIGKILL under load and replaced by its replica.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RedisClusterModeTest {
    private static final String PREFIX = RedisSettings.defaults().keyPrefix();
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final Closer closer = new Closer();
    private ClusterNodes nodes;
    private RedisClusterProcess redis;

    @Test
    void roomsOnEveryMasterReachEverySubscriberOnBothNodesOnceAndInOrder() throws Exception {
        redis = closer.add(RedisClusterProcess.start(3, 0, Duration.ofSeconds(5)));
        nodes = closer.add(new ClusterNodes());
        RedisSettings settings = RedisSettings.builder().mode("cluster").nodes(redis.addresses()).build();
        int[] ports = {start("n1", settings), start("n2", settings)};

        // One room per master: its shard channel hashes to a slot that master serves.
        Map<Integer, String> roomByMaster = new LinkedHashMap<>();
        for (int i = 0; roomByMaster.size() < 3 && i < 1000; i++) {
            String room = "spread-" + i;
            roomByMaster.putIfAbsent(redis.masterOf(PREFIX + "room." + room).port(), room);
        }
        assertThat(roomByMaster).as("a room on each of the three masters").hasSize(3);
        List<String> rooms = List.copyOf(roomByMaster.values());

        Map<String, Subscribers> subscribers = new LinkedHashMap<>();
        Map<String, WsClient> publishers = new LinkedHashMap<>();
        for (int r = 0; r < rooms.size(); r++) {
            String room = rooms.get(r);
            Subscribers members = closer.add(new Subscribers());
            for (int i = 0; i < 10; i++) {
                members.add(member(ports[i % 2], "s" + r + "-" + i, room));
            }
            members.startDraining();
            subscribers.put(room, members);
            publishers.put(room, member(ports[r % 2], "p" + r, room));
        }

        int perRoom = 300;
        for (int i = 0; i < perRoom; i++) {
            for (String room : rooms) {
                publishers.get(room).send("{\"type\":\"room_message\",\"room\":\"" + room + "\",\"content\":\"m" + i + "\"}");
            }
            Thread.sleep(5); // about 500 publishes a second in all

        }
        for (String room : rooms) {
            long total = nodes.awaitQuietPosition(1, room);
            // A publish the store refuses on an overloaded machine is refused to its sender, not lost; most go through.
            assertThat(total).as("publishes to %s that went through", room).isGreaterThan(perRoom * 8L / 10);
            subscribers.get(room).assertEveryoneHolds(total, 30_000);
        }
        assertThat(nodes.get(0).hub().broker().isConnected()).isTrue();
    }

    @Test
    void killingAMasterUnderLoadFailsOverToItsReplicaAndSubscribersMissNothing() throws Exception {
        // Two replicas per master: the promoted one keeps a replica to confirm appends (redis.replicaAcks: 1).
        redis = closer.add(RedisClusterProcess.start(3, 2, Duration.ofMillis(1000)));
        // A room whose shard channel and history live on the same master: killing it cuts both.
        String room = null;
        RedisServerProcess victim = null;
        for (int i = 0; room == null && i < 1000; i++) {
            String candidate = "failover-" + i;
            RedisServerProcess channelMaster = redis.masterOf(PREFIX + "room." + candidate);
            if (channelMaster == redis.masterOf(PREFIX + "history:{" + candidate + "}:meta")) {
                room = candidate;
                victim = channelMaster;
            }
        }
        assertThat(room).as("a room with its channel and history on one master").isNotNull();
        Set<Integer> mastersBefore = new HashSet<>();
        redis.masters().forEach(m -> mastersBefore.add(m.port()));

        nodes = closer.add(new ClusterNodes());
        // One replica must confirm each append: the failover below must not lose an acknowledged message.
        RedisSettings settings = RedisSettings.builder().mode("cluster").nodes(redis.addresses()).replicaAcks(1).build();
        int[] ports = {start("n1", settings), start("n2", settings)};
        Subscribers subscribers = closer.add(new Subscribers());
        for (int i = 0; i < 100; i++) {
            subscribers.add(member(ports[i % 2], "s" + i, room));
        }
        subscribers.startDraining();
        WsClient publisher = member(ports[0], "publisher", room);

        RedisServerProcess killed = victim;
        // 20 s of load, killed at 1.5 s: the failover (node timeout, election, topology reload) takes several
        // seconds on a loaded machine.
        LoadWithOutage.run(publisher, room, 200, 20, killed::kill9, () -> { });
        Await.until("the cluster promoted the killed master's replica", WAIT, () -> redis.replaced(killed)
                && redis.masters().stream().anyMatch(m -> !mastersBefore.contains(m.port())));
        long afterLoad = nodes.awaitQuietPosition(0, room);
        assertThat(afterLoad).as("publishes before the kill went through").isGreaterThan(250);
        // The failover may also outlast the load on a busy machine: publishing on shows it was followed.
        LoadWithOutage.publishUntil(publisher, room, nodes, 0, afterLoad + 50,
                Duration.ofSeconds(60));
        long total = nodes.awaitQuietPosition(0, room);
        subscribers.assertEveryoneHolds(total, 60_000);
        Await.until("both nodes report the broker up again", WAIT,
                () -> nodes.get(0).hub().broker().isConnected() && nodes.get(1).hub().broker().isConnected());
    }

    private int start(String id, RedisSettings settings) {
        // Deadlines of 2 s: each node opens a dozen connections to the cluster at once on a loaded test machine.
        SwitchboardConfig config = ClusterNodes.config(id, ClusterNodes.cluster("redis", 10_000, Duration.ofSeconds(2)),
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
}
