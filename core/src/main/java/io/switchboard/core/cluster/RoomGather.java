package io.switchboard.core.cluster;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * One cluster-wide room listing in flight: the nodes' pages as they arrive, complete when every node asked has
 * answered or when the deadline calls {@link #finish}. Thread-safe: the gather's monitor guards {@link #pages}.
 */
final class RoomGather {
    private final Set<String> expected;
    private final int limit;
    private final List<RoomCount> local;
    private final Map<String, List<RoomCount>> pages = new LinkedHashMap<>();
    final CompletableFuture<NodeRegistry.RoomPage> result = new CompletableFuture<>();

    /**
     * @param expected the nodes asked
     * @param local this node's own page, counted without asking
     */
    RoomGather(Set<String> expected, int limit, List<RoomCount> local) {
        this.expected = Set.copyOf(expected);
        this.limit = limit;
        this.local = local;
    }

    /** One node's answer; a late one, a repeated one or one from a node not asked is ignored. */
    void add(String nodeId, List<RoomCount> page) {
        boolean done;
        synchronized (this) {
            if (result.isDone() || !expected.contains(nodeId) || pages.containsKey(nodeId)) {
                return;
            }
            pages.put(nodeId, page);
            done = pages.size() == expected.size();
        }
        if (done) {
            finish();
        }
    }

    /** Completes with what arrived; the nodes that did not answer are reported as missing. */
    void finish() {
        NodeRegistry.RoomPage page;
        synchronized (this) {
            List<List<RoomCount>> all = new ArrayList<>(pages.values());
            all.add(local);
            Set<String> missing = new TreeSet<>(expected);
            missing.removeAll(pages.keySet());
            page = RoomPages.merge(all, limit, List.copyOf(missing));
        }
        result.complete(page);
    }
}
