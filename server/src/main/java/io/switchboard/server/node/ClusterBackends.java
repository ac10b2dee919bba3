package io.switchboard.server.node;

import io.switchboard.core.Hub;
import io.switchboard.core.TimeSource;
import io.switchboard.core.cluster.Broker;
import io.switchboard.core.cluster.ClusterGuard;
import io.switchboard.core.cluster.MemoryBroker;
import io.switchboard.core.cluster.MemoryPresenceStore;
import io.switchboard.core.cluster.PresenceStore;
import io.switchboard.core.config.SwitchboardConfig;
import io.switchboard.core.history.HistoryStore;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.nats.NatsBroker;
import io.switchboard.nats.NatsSettings;
import io.switchboard.redis.RedisBroker;
import io.switchboard.redis.RedisHistoryStore;
import io.switchboard.redis.RedisPresenceStore;
import io.switchboard.redis.RedisSettings;

/**
 * Builds the broker, history and presence a node runs with from {@code cluster.*}: the only place that
 * names the Redis and NATS implementations. Remote backends get a {@link ClusterGuard} each (one for the
 * broker, one for the stores), so that an outage of one fails its own calls fast.
 */
final class ClusterBackends {
    private ClusterBackends() {
    }

    static Hub.Backends create(SwitchboardConfig config) {
        SwitchboardConfig.Cluster cluster = config.cluster();
        RedisSettings redis = redisSettings(config);
        HistoryStore history = cluster.historyStore().equals("redis")
                ? new RedisHistoryStore(redis, config.history().size(), config.history().ttl())
                : new MemoryHistoryStore(config.history().size(), config.history().ttl(), TimeSource.SYSTEM);
        PresenceStore presence = cluster.presenceStore().equals("redis")
                ? new RedisPresenceStore(redis, cluster.presenceTtl())
                : new MemoryPresenceStore();
        Broker broker = switch (cluster.broker()) {
            case "redis" -> new RedisBroker(redis);
            case "nats" -> new NatsBroker(NatsSettings.defaults(config.nats().servers().toArray(String[]::new))
                    .withTimeout(cluster.timeout()));
            default -> new MemoryBroker();
        };
        ClusterGuard brokerGuard = cluster.distributed() ? guard("broker " + broker.describe(), cluster) : null;
        ClusterGuard storeGuard = cluster.historyStore().equals("memory") && cluster.presenceStore().equals("memory")
                ? null : guard("history and presence store", cluster);
        return new Hub.Backends(history, broker, presence, brokerGuard, storeGuard);
    }

    private static RedisSettings redisSettings(SwitchboardConfig config) {
        SwitchboardConfig.Redis r = config.redis();
        return new RedisSettings(r.host(), r.port(), r.password().isEmpty() ? null : r.password(), r.db(),
                config.cluster().timeout(), "switchboard:");
    }

    private static ClusterGuard guard(String name, SwitchboardConfig.Cluster cluster) {
        return new ClusterGuard(name, cluster.timeout(), cluster.maxPending(), cluster.breakerOpenDuration());
    }
}
