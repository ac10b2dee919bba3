package io.switchboard.core.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Builds one cluster-wide page of rooms from the nodes' own pages. Each node is asked for {@code limit + 1}
 * of its rooms after the cursor; the first {@code limit} names of their union are then exact, with exact sums:
 * a room among them has fewer than {@code limit} names before it in the union, so fewer on any node, so
 * every node holding it returned it. Stateless.
 */
public final class RoomPages {
    private RoomPages() {
    }

    /**
     * A node's page: its rooms (sorted by name) after {@code after} (null: from the first) that start with
     * {@code prefix} (null: any), at most {@code limit}. The rooms with a prefix are contiguous in name order, so
     * this costs a binary search and the page.
     */
    public static List<RoomCount> slice(List<RoomCount> sorted, String after, String prefix, int limit) {
        int from = after == null ? 0 : firstAfter(sorted, after, false);
        if (prefix != null) {
            from = Math.max(from, firstAfter(sorted, prefix, true));
        }
        int to = from;
        while (to < sorted.size() && to - from < limit && (prefix == null || sorted.get(to).room().startsWith(prefix))) {
            to++;
        }
        return List.copyOf(sorted.subList(from, to));
    }

    /** The index of the first room above {@code key}, or at or above it when {@code inclusive}. */
    private static int firstAfter(List<RoomCount> sorted, String key, boolean inclusive) {
        int lo = 0;
        int hi = sorted.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            int c = sorted.get(mid).room().compareTo(key);
            if (c < 0 || (c == 0 && !inclusive)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /**
     * Merges the nodes' pages (each of at most {@code limit + 1} rooms) into the cluster's page of {@code limit}.
     *
     * @param missing the nodes that did not answer, reported with the page
     */
    public static NodeRegistry.RoomPage merge(List<List<RoomCount>> pages, int limit, List<String> missing) {
        TreeMap<String, Integer> union = new TreeMap<>();
        for (List<RoomCount> page : pages) {
            for (RoomCount r : page) {
                union.merge(r.room(), r.members(), Integer::sum);
            }
        }
        List<RoomCount> out = new ArrayList<>(Math.min(limit, union.size()));
        for (var e : union.entrySet()) {
            if (out.size() == limit) {
                break;
            }
            out.add(new RoomCount(e.getKey(), e.getValue()));
        }
        return new NodeRegistry.RoomPage(out, union.size() > limit, missing);
    }
}
