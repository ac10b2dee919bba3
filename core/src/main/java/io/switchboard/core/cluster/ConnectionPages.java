package io.switchboard.core.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Builds the cluster's list of the oldest matching connections from the nodes' own lists. Each node answers with
 * its oldest {@code limit}; the first {@code limit} of their union in {@link #ORDER} are then exactly the
 * cluster's oldest: a connection among them has fewer than {@code limit} before it in the union, so fewer on its
 * own node, so its node listed it. A node whose answer was {@link ConnectionSlice#cut cut} to fit one message
 * listed only up to its last entry: the merge stops there, so the list stays an exact prefix of the cluster's
 * order (shorter than the limit, never wrong). Stateless.
 */
public final class ConnectionPages {
    /** Oldest first: by connection time, then node, then registration order on the node; a total order. */
    public static final Comparator<ConnectionInfo> ORDER = Comparator.comparingLong(ConnectionInfo::connectedAt)
            .thenComparing(ConnectionInfo::nodeId).thenComparingLong(ConnectionInfo::sequence);

    private ConnectionPages() {
    }

    /**
     * Merges the nodes' answers (each of at most {@code limit}) into the cluster's oldest {@code limit}.
     *
     * @param missing the nodes that did not answer, reported with the page; their connections are not counted
     */
    public static NodeRegistry.ConnectionPage merge(Collection<ConnectionSlice> slices, int limit, List<String> missing) {
        List<ConnectionInfo> all = new ArrayList<>();
        long total = 0;
        ConnectionInfo bound = null;
        boolean nothingExact = false;
        for (ConnectionSlice s : slices) {
            all.addAll(s.connections());
            total += s.total();
            if (s.cut()) {
                if (s.connections().isEmpty()) {
                    nothingExact = true;
                } else {
                    ConnectionInfo last = s.connections().get(s.connections().size() - 1);
                    bound = bound == null || ORDER.compare(last, bound) < 0 ? last : bound;
                }
            }
        }
        all.sort(ORDER);
        List<ConnectionInfo> out = new ArrayList<>(Math.min(limit, all.size()));
        for (ConnectionInfo c : all) {
            if (nothingExact || out.size() == limit || (bound != null && ORDER.compare(c, bound) > 0)) {
                break;
            }
            out.add(c);
        }
        return new NodeRegistry.ConnectionPage(out, total, missing);
    }
}
