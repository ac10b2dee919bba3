package io.switchboard.core.hub;

import io.switchboard.core.TimeSource;
import io.switchboard.core.broker.Broker;
import io.switchboard.core.config.CoreConfig;
import io.switchboard.core.history.HistoryStore;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.core.policy.RoomPolicies;
import io.switchboard.core.presence.PresenceStore;
import io.switchboard.protocol.JsonCodec;

/**
 * What every piece of the hub's engine works with, fixed at construction: the pieces get this, never a
 * reference to the {@link Hub}, so no dependency runs back up to the facade.
 */
record HubContext(CoreConfig config, JsonCodec codec, TimeSource time, String nodeId, HubMetrics metrics,
                  HubStats stats, HistoryStore history, Broker broker, PresenceStore presence, BackendCalls calls,
                  HubScheduler scheduler, HookEmitter hooks, RoomPolicies policies, Throttle throttle) {

    /** Every connection id this node hands out starts with it, so an id tells whether it is local. */
    String connIdPrefix() {
        return "c-" + nodeId + "-";
    }

    /**
     * The oldest other nodes' change a join still applies: one heard {@code cluster.timeout} ago. A node
     * sends its leave notice after it asked presence to remove the member, and that removal lands (or
     * fails) within the timeout, so a presence read that began later cannot list the member any more.
     */
    long oldestRemoteChangeKept() {
        return time.nanoTime() - config.cluster().timeout().toNanos();
    }
}
