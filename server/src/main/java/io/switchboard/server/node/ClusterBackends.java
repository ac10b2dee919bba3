package io.switchboard.server.node;

import io.switchboard.core.TimeSource;
import io.switchboard.core.broker.Broker;
import io.switchboard.core.broker.MemoryBroker;
import io.switchboard.core.cluster.BrokerNodeRegistry;
import io.switchboard.core.cluster.LocalNodeRegistry;
import io.switchboard.core.cluster.NodeRegistry;
import io.switchboard.core.guard.ClusterGuard;
import io.switchboard.core.broker.Broker;
import io.switchboard.core.guard.ClusterGuard;
import io.switchboard.core.broker.MemoryBroker;
import io.switchboard.core.policy.RoomPolicies;
import io.switchboard.core.presence.MemoryPresenceStore;
import io.switchboard.core.presence.PresenceStore;
import io.switchboard.core.config.Cluster;
import io.switchboard.core.history.HistoryStore;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.policy.RoomPolicies;
import io.switchboard.core.presence.MemoryPresenceStore;
import io.switchboard.core.presence.PresenceStore;
import io.switchboard.core.history.Retention;
import io.switchboard.nats.JetStreamHistoryStore;
import io.switchboard.nats.NatsBroker;
import io.switchboard.nats.NatsKvPresenceStore;
import io.switchboard.redis.RedisBroker;
import io.switchboard.redis.RedisClusterBroker;
import io.switchboard.redis.RedisHistoryStore;
import io.switchboard.redis.RedisPresenceStore;
import io.switchboard.redis.RedisSettings;
import io.switchboard.server.config.SwitchboardConfig;
import java.time.Duration;

/**
 * Builds the broker, history and presence a node runs with from {@code cluster.*}: the only place that
 * names the Redis and NATS implementations; and the node registry over the same cluster. Remote backends get a {@link ClusterGuard} each (one for the
 * broker, one for the stores), so that an outage of one fails its own calls fast.
 */
final class ClusterBackends {
    private ClusterBackends() {
    }

    static Hub.Backends create(SwitchboardConfig config) {
        Cluster cluster = config.cluster();
        RedisSettings redis = config.redis();
        // Each namespace keeps its own history size and ttl.
        RoomPolicies retention = new RoomPolicies(config.core());
        HistoryStore history = switch (cluster.historyStore()) {
            case "redis" -> new RedisHistoryStore(redis, cluster.timeout(), retention);
            case "jetstream" -> jetStreamHistory(config, retention);
            default -> new MemoryHistoryStore(retention, TimeSource.SYSTEM);
        };
        PresenceStore presence = switch (cluster.presenceStore()) {
            case "redis" -> new RedisPresenceStore(redis, cluster.timeout(), cluster.presenceTtl());
            case "nats" -> new NatsKvPresenceStore(config.nats(), cluster.timeout(), cluster.presenceTtl());
            default -> new MemoryPresenceStore();
        };
        Broker broker = cluster.distributed() ? broker(config) : new MemoryBroker();
        ClusterGuard brokerGuard = cluster.distributed() ? guard("broker " + broker.describe(), cluster) : null;
        ClusterGuard storeGuard = cluster.historyStore().equals("memory") && cluster.presenceStore().equals("memory")
                ? null : guard("history and presence store", cluster);
        return new Hub.Backends(history, broker, presence, brokerGuard, storeGuard);
    }

    /**
     * The node registry: a heartbeat over a broker connection of its own to the cluster's Redis or NATS (so that
     * a node lost to the broker is lost to the registry too), with {@code cluster.presenceTtl} as its TTL, so that
     * a dead node leaves the node list when its presence expires; a node alone is its own registry.
     */
    static NodeRegistry registry(SwitchboardConfig config, String nodeId) {
        Cluster cluster = config.cluster();
        return !cluster.distributed() ? new LocalNodeRegistry()
                : new BrokerNodeRegistry(broker(config), nodeId, cluster.presenceTtl(), cluster.timeout(), TimeSource.SYSTEM);
    }

    /** A new connection to the cluster's broker, Redis (standalone, Sentinel or Cluster) or NATS. */
    private static Broker broker(SwitchboardConfig config) {
        Cluster cluster = config.cluster();
        return switch (cluster.broker()) {
            case "redis" -> config.redis().cluster() ? new RedisClusterBroker(config.redis(), cluster.timeout())
                    : new RedisBroker(config.redis(), cluster.timeout());
            case "nats" -> new NatsBroker(config.nats(), cluster.timeout());
            default -> throw new IllegalStateException("no broker named " + cluster.broker());
        };
    }

    /**
     * The stream keeps what the most generous namespace keeps (at least one message per room, for its offset),
     * and messages at least as long as the idempotency window, which JetStream requires of its duplicate window.
     */
    private static HistoryStore jetStreamHistory(SwitchboardConfig config, RoomPolicies retention) {
        Retention widest = retention.widest();
        Duration window = config.core().history().idempotencyWindow();
        Duration maxAge = widest.ttl().compareTo(window) >= 0 ? widest.ttl() : window;
        return new JetStreamHistoryStore(config.nats(), config.cluster().timeout(), retention,
                Math.max(1, widest.size()), maxAge, window);
    }

    private static ClusterGuard guard(String name, Cluster cluster) {
        return new ClusterGuard(name, cluster.timeout(), cluster.maxPending(), cluster.breakerOpenDuration());
    }
}
