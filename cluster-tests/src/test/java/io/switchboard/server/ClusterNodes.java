package io.switchboard.server;

import io.switchboard.core.config.Cluster;
import io.switchboard.core.config.History;
import io.switchboard.nats.NatsSettings;
import io.switchboard.redis.RedisSettings;
import io.switchboard.server.config.Server;
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
        Server s = base.server();
        SwitchboardConfig c = new SwitchboardConfig(new Server(s.host(), 0, 2, nodeId,
                s.readTimeout(), s.idleTimeout(), s.maxRequestBytes()), base.websocket(), base.hub(),
                new History(10_000, Duration.ofMinutes(5)), base.shutdown(), base.api(),
                base.redis(), base.monitoring(), base.security());
        return c.withCluster(cluster, new RedisSettings("127.0.0.1", redisPort, "", 0),
                new NatsSettings(natsServers.isEmpty() ? List.of("nats://127.0.0.1:4222") : natsServers));
    }

    /** Cluster settings for tests: short deadlines and breaker windows so that faults show quickly. */
    static Cluster cluster(String broker, int maxPending, Duration timeout) {
        return new Cluster(broker, "auto", "auto", timeout, maxPending,
                Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofSeconds(3), Duration.ofSeconds(1));
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
            long now;
            try {
                now = nodes.get(i).hub().roomInfo(room).toCompletableFuture().join().offset();
            } catch (Exception e) {
                continue;
            }
            if (now == last) {
                return now;
            }
            last = now;
        }
    }

    @Override
    public void close() {
        nodes.forEach(SwitchboardServer::close);
    }
}
