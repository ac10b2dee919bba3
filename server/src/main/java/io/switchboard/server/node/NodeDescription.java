package io.switchboard.server.node;

import io.switchboard.core.cluster.ConnectionSlice;
import io.switchboard.core.cluster.NodeInfo;
import io.switchboard.core.cluster.NodeRegistry;
import io.switchboard.core.cluster.RoomCount;
import io.switchboard.core.cluster.RoomPages;
import io.switchboard.core.guard.ClusterGuard;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.hub.RoomSummary;
import io.switchboard.core.internal.SlidingRate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;

/**
 * This node as the node registry announces it: its identity and address, and its counters read from the hub.
 * Thread-safe: reads only thread-safe hub state (a connection's rooms on its own event loop); the rates are
 * sampled once a second by {@link #sample}.
 */
final class NodeDescription implements NodeRegistry.LocalNode {
    /** Rate window: one sample a second, ten seconds, as {@code /stats}. */
    private static final int RATE_WINDOW_SECONDS = 10;

    private final Hub hub;
    private final String version;
    private final String address;
    private final BooleanSupplier draining;
    private final long startedAt = System.currentTimeMillis();
    private final SlidingRate in = new SlidingRate(RATE_WINDOW_SECONDS);
    private final SlidingRate out = new SlidingRate(RATE_WINDOW_SECONDS);

    /** @param address where the node listens, {@code host:port}, as other nodes and operators reach it */
    NodeDescription(Hub hub, String version, String address, BooleanSupplier draining) {
        this.hub = hub;
        this.version = version;
        this.address = address;
        this.draining = draining;
    }

    /** Samples the message counters; once a second. */
    void sample() {
        long now = System.nanoTime();
        in.sample(now, hub.stats().messagesReceived());
        out.sample(now, hub.stats().messagesSent());
    }

    @Override
    public NodeInfo describe() {
        List<NodeInfo.Breaker> breakers = new ArrayList<>(2);
        breaker(breakers, hub.brokerGuard());
        breaker(breakers, hub.storeGuard());
        return new NodeInfo(hub.nodeId(), version, address, startedAt, System.currentTimeMillis(),
                draining.getAsBoolean(), hub.connectionCount(), hub.stats().connectionsTotal(), hub.roomCount(),
                hub.stats().messagesReceived(), hub.stats().messagesSent(), hub.stats().deliveriesDropped(),
                round(in.perSecond()), round(out.perSecond()),
                new NodeInfo.BrokerState(hub.broker().describe(), hub.broker().isConnected()), breakers);
    }

    @Override
    public List<RoomCount> rooms(String after, String prefix, int limit) {
        List<RoomSummary> all = hub.rooms();
        List<RoomCount> counts = new ArrayList<>(all.size());
        for (RoomSummary r : all) {
            counts.add(new RoomCount(r.room(), r.members()));
        }
        return RoomPages.slice(counts, after, prefix, limit);
    }

    @Override
    public CompletionStage<ConnectionSlice> connections(String user, String prefix, int limit) {
        return LocalConnections.list(hub, user, prefix, limit);
    }

    private static void breaker(List<NodeInfo.Breaker> out, ClusterGuard guard) {
        if (guard != null) {
            out.add(new NodeInfo.Breaker(guard.name(), guard.state(), guard.pending()));
        }
    }

    private static double round(double rate) {
        return Math.round(rate * 10) / 10.0;
    }
}
