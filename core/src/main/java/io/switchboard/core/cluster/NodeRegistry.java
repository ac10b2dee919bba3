package io.switchboard.core.cluster;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The live nodes of a cluster, and the rooms and connections they hold. Each node announces itself every
 * {@link #announceInterval()}; a node that stops announcing (it died, or lost the broker) is dropped
 * {@link #ttl()} after its last announcement, and one that closes its registry is dropped at once.
 * Listeners hear of every node that leaves the list, and whether it expired or said goodbye.
 *
 * <p>Lifecycle: {@link #start} once, then {@link #close} once (idempotent). Implementations are thread-safe;
 * every call is asynchronous, never blocks the caller, and never fails for a peer that sent garbage: input
 * from other nodes is validated and bounded (at most {@link #MAX_NODES} nodes; invalid announcements are
 * dropped and logged).
 */
public interface NodeRegistry extends AutoCloseable {
    /** Nodes a registry keeps at most: announcements of further nodes are dropped (and logged). */
    int MAX_NODES = 1000;
    /** Rooms one {@link #rooms} page may ask for at most. */
    int MAX_ROOMS_PAGE = 1000;
    /** Connections one {@link #connections} listing may ask for at most. */
    int MAX_CONNECTIONS_PAGE = 500;
    /**
     * Room names listed per connection at most ({@link ConnectionInfo#roomCount()} has the full number): the
     * default {@code websocket.maxRoomsPerConnection}, so that one entry always fits in a node's answer.
     */
    int MAX_ROOMS_LISTED = 100;

    /**
     * This node, as the registry reads it to announce it and to answer other nodes. Called on the registry's
     * own threads; implementations are thread-safe and must not block.
     */
    interface LocalNode {
        /** This node's description now. */
        NodeInfo describe();

        /**
         * This node's rooms with members after {@code after} (null: from the first) whose name starts with
         * {@code prefix} (null: any), by name, at most {@code limit}.
         */
        List<RoomCount> rooms(String after, String prefix, int limit);

        /**
         * This node's connections of user {@code user} (null: any) whose user id starts with {@code prefix}
         * (null: any), the oldest {@code limit} in {@link ConnectionPages#ORDER}, each with at most
         * {@link #MAX_ROOMS_LISTED} room names, and how many match in all. May complete later, on another thread
         * (a connection's rooms are read on its own thread); must not block.
         */
        CompletionStage<ConnectionSlice> connections(String user, String prefix, int limit);
    }

    /**
     * Hears of nodes that join and leave the list. Called on the registry's own thread, one call at a time; must
     * not block. A node that restarts with the same id within its TTL is neither left nor joined.
     */
    @FunctionalInterface
    interface Listener {
        /** A node is listed that was not (it started, or came back after it expired). */
        default void nodeJoined(NodeInfo first) {
        }

        /**
         * A node is no longer listed.
         *
         * @param last its last announcement
         * @param expired true when it stopped announcing for {@link #ttl()} (crashed, partitioned): its
         *     connections were not closed by it; false when it closed its registry on a clean stop
         */
        void nodeLeft(NodeInfo last, boolean expired);
    }

    /**
     * A page of the cluster's rooms by name, each with its members summed over the nodes that answered.
     *
     * @param rooms at most the limit asked for, each after the key asked for
     * @param more whether rooms after the last of {@code rooms} remain
     * @param missing the listed nodes that did not answer in time: their members are not counted
     */
    record RoomPage(List<RoomCount> rooms, boolean more, List<String> missing) {
        public RoomPage {
            rooms = List.copyOf(rooms);
            missing = List.copyOf(missing);
        }
    }

    /**
     * The oldest connections of the cluster that match a {@link #connections} listing.
     *
     * @param connections at most the limit asked for, oldest first ({@link ConnectionPages#ORDER}); fewer when a
     *     node's answer had to be cut to fit one message, so that the list is always the exact oldest ones
     * @param total how many connections match on the nodes that answered
     * @param missing the listed nodes that did not answer in time: their connections are neither listed nor counted
     */
    record ConnectionPage(List<ConnectionInfo> connections, long total, List<String> missing) {
        public ConnectionPage {
            connections = List.copyOf(connections);
            missing = List.copyOf(missing);
        }
    }

    /** Starts announcing {@code self}; completes once the first announcement is out (or at once where there is nothing to reach). */
    CompletionStage<Void> start(LocalNode self);

    /** Every live node, this one included (always, even while cut off), sorted by node id. */
    CompletionStage<List<NodeInfo>> nodes();

    /**
     * The rooms with members anywhere in the cluster whose name is after {@code after} (null: from the first) and
     * starts with {@code prefix} (null: any), at most {@code limit} (1 to {@link #MAX_ROOMS_PAGE}), by name. A room
     * present on a node for a whole paging appears in exactly one page.
     */
    CompletionStage<RoomPage> rooms(String after, String prefix, int limit);

    /**
     * The connections anywhere in the cluster of user {@code user} (null: any) whose user id starts with
     * {@code prefix} (null: any): the oldest {@code limit} (1 to {@link #MAX_CONNECTIONS_PAGE}), oldest first, each
     * named with its node. Every live node is asked, as for {@link #rooms}, under the same bounds and deadline.
     */
    CompletionStage<ConnectionPage> connections(String user, String prefix, int limit);

    /** Adds a listener for nodes that leave. */
    void addListener(Listener listener);

    /** How long a node stays listed after its last announcement. */
    Duration ttl();

    /** How often this node announces itself: at most a third of {@link #ttl()}, so that one lost announcement is harmless. */
    default Duration announceInterval() {
        return ttl().dividedBy(3);
    }

    /** Says goodbye (other nodes drop this one at once) and stops announcing. Idempotent. */
    @Override
    void close();
}
