package io.switchboard.server.node;

import io.switchboard.core.cluster.ConnectionInfo;
import io.switchboard.core.cluster.ConnectionSlice;
import io.switchboard.core.cluster.NodeRegistry;
import io.switchboard.core.hub.Connection;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.hub.Shard;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * This node's connections as the node registry lists them for the admin console: the oldest that match, each with
 * its rooms. The selection is one pass over the node's connections on the caller's thread, holding no more than
 * the limit (a node may hold a hundred thousand connections); a connection's rooms are confined to its event
 * loop, so they are read there, one task per event loop holding some of the selected connections. Stateless.
 */
final class LocalConnections {
    /** Newest first, the order of the bounded heap that keeps the oldest; the reverse of the listing's order. */
    private static final Comparator<Connection> NEWEST_FIRST = Comparator.comparingLong(Connection::connectedAtMillis)
            .thenComparingLong(Connection::sequence).reversed();

    private LocalConnections() {
    }

    /**
     * The oldest {@code limit} connections of {@code user} (null: any) whose user id starts with {@code prefix}
     * (null: any), oldest first, and how many match; completes once every event loop involved read its rooms.
     */
    static CompletionStage<ConnectionSlice> list(Hub hub, String user, String prefix, int limit) {
        PriorityQueue<Connection> oldest = new PriorityQueue<>(NEWEST_FIRST);
        long total = 0;
        for (Connection c : hub.connections()) {
            if ((user == null || user.equals(c.userId())) && (prefix == null || c.userId().startsWith(prefix))) {
                total++;
                oldest.add(c);
                if (oldest.size() > limit) {
                    oldest.poll();
                }
            }
        }
        List<Connection> page = new ArrayList<>(oldest);
        page.sort(NEWEST_FIRST.reversed());
        long matching = total;
        if (page.isEmpty()) {
            return CompletableFuture.completedFuture(new ConnectionSlice(List.of(), matching, false));
        }
        Map<Shard, List<Integer>> byShard = new IdentityHashMap<>();
        for (int i = 0; i < page.size(); i++) {
            byShard.computeIfAbsent(page.get(i).shard(), s -> new ArrayList<>()).add(i);
        }
        ConnectionInfo[] infos = new ConnectionInfo[page.size()];
        AtomicInteger left = new AtomicInteger(byShard.size());
        CompletableFuture<ConnectionSlice> done = new CompletableFuture<>();
        for (Map.Entry<Shard, List<Integer>> e : byShard.entrySet()) {
            Runnable read = () -> fill(hub, page, e.getValue(), infos, true, left, done, matching);
            try {
                e.getKey().executor().execute(read);
            } catch (RejectedExecutionException x) {
                // The loop is shutting down and its connections with it: listed without their rooms, which
                // another thread must not read.
                fill(hub, page, e.getValue(), infos, false, left, done, matching);
            }
        }
        return done;
    }

    /** Describes the connections at {@code indexes}; the last call to count down completes the listing. */
    private static void fill(Hub hub, List<Connection> page, List<Integer> indexes, ConnectionInfo[] infos,
                             boolean withRooms, AtomicInteger left, CompletableFuture<ConnectionSlice> done,
                             long total) {
        try {
            for (int i : indexes) {
                infos[i] = info(hub, page.get(i), withRooms);
            }
        } catch (RuntimeException e) {
            done.completeExceptionally(e);
        }
        // Each call writes its entries before it counts down: the last one to count down sees them all.
        if (left.decrementAndGet() == 0 && !done.isDone()) {
            done.complete(new ConnectionSlice(Arrays.asList(infos), total, false));
        }
    }

    /** One connection; with its rooms when on its own event loop, at most {@link NodeRegistry#MAX_ROOMS_LISTED} of them. */
    private static ConnectionInfo info(Hub hub, Connection c, boolean withRooms) {
        List<String> rooms = List.of();
        int count = 0;
        if (withRooms) {
            try {
                count = c.rooms().size();
                rooms = c.rooms().stream().sorted().limit(NodeRegistry.MAX_ROOMS_LISTED).toList();
            } catch (RuntimeException e) {
                count = 0; // never fails a listing for one connection; listed without rooms
            }
        }
        return new ConnectionInfo(c.connId(), c.userId(), hub.nodeId(), c.session().remoteAddress(), rooms, count,
                c.connectedAtMillis(), c.sequence());
    }
}
