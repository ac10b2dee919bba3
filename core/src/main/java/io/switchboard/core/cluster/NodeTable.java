package io.switchboard.core.cluster;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The other nodes as last announced, each until its expiry, at most {@link NodeRegistry#MAX_NODES}. Thread-safe:
 * the table's monitor guards {@link #nodes}.
 */
final class NodeTable {
    /** One node's last announcement and when it expires ({@code nanoTime}). */
    private record Entry(NodeInfo info, long expiresAt) {
    }

    /** What {@link #put} did. */
    enum Put { NEW, UPDATED, FULL }

    private final long ttlNanos;
    private final Map<String, Entry> nodes = new HashMap<>();

    NodeTable(long ttlNanos) {
        this.ttlNanos = ttlNanos;
    }

    /** Records an announcement received at {@code now}. */
    synchronized Put put(NodeInfo info, long now) {
        Entry old = nodes.get(info.nodeId());
        if (old == null && nodes.size() >= NodeRegistry.MAX_NODES) {
            return Put.FULL;
        }
        nodes.put(info.nodeId(), new Entry(info, now + ttlNanos));
        return old == null ? Put.NEW : Put.UPDATED;
    }

    /** Forgets a node that said goodbye; its last announcement, or null when it was not listed. */
    synchronized NodeInfo remove(String nodeId) {
        Entry e = nodes.remove(nodeId);
        return e == null ? null : e.info();
    }

    /** Forgets and returns the nodes whose expiry passed at {@code now}. */
    synchronized List<NodeInfo> expire(long now) {
        List<NodeInfo> gone = new ArrayList<>();
        for (Iterator<Entry> it = nodes.values().iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (e.expiresAt() - now <= 0) {
                gone.add(e.info());
                it.remove();
            }
        }
        return gone;
    }

    /** The nodes not expired at {@code now}. */
    synchronized List<NodeInfo> live(long now) {
        List<NodeInfo> out = new ArrayList<>(nodes.size());
        for (Entry e : nodes.values()) {
            if (e.expiresAt() - now > 0) {
                out.add(e.info());
            }
        }
        return out;
    }
}
