package io.switchboard.server;

import io.switchboard.core.config.Cluster;
import io.switchboard.core.config.History;
import io.switchboard.nats.NatsSettings;
import io.switchboard.redis.RedisSettings;
import io.switchboard.server.config.SwitchboardConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Server nodes of one cluster on loopback, each on a free port, started and stopped by a test. */
final class ClusterNodes implements AutoCloseable {
    private final List<SwitchboardServer> nodes = new ArrayList<>();

    /** A node's configuration: the test defaults, a large history, and the given broker settings. */
    static SwitchboardConfig config(String nodeId, Cluster cluster, int redisPort,
                                    List<String> natsServers) {
        SwitchboardConfig base = TestServers.config();
        return base.toBuilder()
                .server(base.server().toBuilder().port(0).ioThreads(2).nodeId(nodeId).build())
                .history(History.builder().size(10_000).ttl(Duration.ofMinutes(5)).build())
                .cluster(cluster)
                .redis(RedisSettings.builder().host("127.0.0.1").port(redisPort).build())
                .nats(natsServers.isEmpty() ? NatsSettings.builder().build()
                        : NatsSettings.builder().servers(natsServers).build())
                .build();
    }

    /** Cluster settings for tests: short deadlines and breaker windows so that faults show quickly. */
    static Cluster cluster(String broker, int maxPending, Duration timeout) {
        return Cluster.builder().broker(broker).timeout(timeout).maxPending(maxPending)
                .breakerOpenDuration(Duration.ofSeconds(1)).presenceTtl(Duration.ofSeconds(3))
                .tailCheckInterval(Duration.ofSeconds(1)).build();
    }

    SwitchboardServer start(SwitchboardConfig config) {
        SwitchboardServer node = SwitchboardServer.start(config);
        nodes.add(node);
        return node;
    }

    SwitchboardServer get(int i) {
        return nodes.get(i);
    }

    /**
     * The room's history position, read through node {@code i}, once it stopped moving for half a second.
     * A read refused while a breaker is still open after an outage is simply asked again.
     */
    long awaitQuietPosition(int i, String room) throws InterruptedException {
        long last = -1;
        while (true) {
            Thread.sleep(500);
            long now = position(i, room);
            if (now < 0) {
                continue;
            }
            if (now == last) {
                return now;
            }
            last = now;
        }
    }

    /** The room's history position read through node {@code i}, or -1 while the read is refused. */
    long position(int i, String room) {
        try {
            return nodes.get(i).hub().roomInfo(room).toCompletableFuture().join().offset();
        } catch (Exception e) {
            return -1;
        }
    }

    @Override
    public void close() {
        nodes.forEach(SwitchboardServer::close);
    }
}
