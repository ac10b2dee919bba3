package io.switchboard.core.hub;

import io.switchboard.core.policy.RoomPolicy;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A room with members on this node: created on its first local join, removed when its last local
 * member leaves. Its monitor guards every mutable field and orders its deliveries (see the package
 * documentation).
 *
 * <p>It is also the room's sequencer on this node: {@link #lastDelivered} is the offset up to which the
 * room's messages were fanned out here, in {@link #epoch}. A message that arrives ahead of its turn
 * (offsets from other nodes may interleave) is parked until the gap closes, or until the hub reads the
 * missing offsets from history.
 */
final class Room {
    private static final ShardMembers[] NO_SHARDS = new ShardMembers[0];
    /** Other nodes' joins and leaves a room keeps for its joins (see {@link #remoteChanges}). */
    static final int MAX_REMOTE_NOTICES = 1024;

    final String name;
    /** The room's namespace options, resolved when the room was created. */
    final RoomPolicy policy;
    /** Members by connId, readable from any thread (presence). Written under the monitor. */
    final ConcurrentHashMap<String, Connection> members = new ConcurrentHashMap<>();
    /** Members here whose writes are backlogged, with {@code hub.overloadPolicy: throttle}; see {@link Throttle}. */
    final java.util.concurrent.atomic.AtomicInteger backloggedMembers = new java.util.concurrent.atomic.AtomicInteger();
    /** {@code delivery: latest}: the newest message delivered here and its offset; null until one was. */
    byte[] latestJson;
    long latestOffset;
    /** Per-shard member lists; copy-on-write under the monitor. */
    ShardMembers[] shards = NO_SHARDS;
    /** Set under the monitor when the room left the hub's map; a joiner that sees it retries. */
    boolean removed;
    /** Joins under way that hold the room (it is not removed while one is). */
    int joining;
    /** Completes once the broker delivers this room's channel to this node. */
    CompletableFuture<Void> subscribed;

    /** False until the first join read the room's position; messages meanwhile are parked. */
    boolean initialized;
    /** The lineage of {@link #lastDelivered}. */
    String epoch;
    /** The lineage before the last history loss, whose late messages are ignored. */
    String previousEpoch;
    /** Offsets up to this one have been fanned out on this node. */
    long lastDelivered;
    /** Messages that arrived ahead of their turn, by offset. Bounded by the hub. */
    final TreeMap<Long, Parked> parked = new TreeMap<>();
    /** Joins with {@code since} under way; while there are any, deliveries are kept in {@link #recent}. */
    int recoveringJoins;
    /**
     * JSON of the messages delivered here while a recovering join read history, by offset: what it read
     * may end before what this node delivered meanwhile, and this fills the difference. Bounded by the hub.
     */
    final TreeMap<Long, byte[]> recent = new TreeMap<>();
    /**
     * Other nodes' joins and leaves heard lately, oldest first, each parsed once from its notice: a join
     * corrects its presence read with those heard after it began, and with those heard up to
     * {@code cluster.timeout} before (a leave's notice can arrive ahead of its presence removal, which lands
     * within that). Bounded by the hub; older ones are dropped while no join is under way.
     */
    final java.util.ArrayDeque<RemoteChange> remoteChanges = new java.util.ArrayDeque<>();
    /** Changes taken into {@link #remoteChanges} so far: the oldest held is number count − size. */
    long remoteChangeCount;
    /**
     * Members in the cluster as this node last knew: the count read by its latest join, moved by each join and
     * leave heard since (exact on a single node). Decides whether changes are batched, and is the diff's count.
     */
    int knownCount;
    /** Joins and leaves waiting for the room's next {@code presence_diff}; null while none is due. */
    PresenceDiffs.Diff diff;
    /** A gap check is scheduled. */
    boolean gapCheckPending;
    /** The next gap check reads history even with nothing parked (after a broker outage). */
    boolean catchUp;
    /** {@link #lastDelivered} when the hub's last tail check saw the room: unchanged since means quiet. */
    long deliveredAtTailCheck = -1;
    /** When (nanoTime) the hub last compared the room with its history; the oldest go first. Gap-check thread only. */
    long tailCheckedAt = Long.MIN_VALUE;

    Room(String name, RoomPolicy policy) {
        this.name = name;
        this.policy = policy;
    }

    /**
     * Keeps another node's join or leave, at most {@code max}. While no join is under way, those heard before
     * {@code oldest} go; a join under way may still need them. Caller holds the monitor.
     */
    void heardRemoteChange(RemoteChange change, int max, long oldest) {
        remoteChanges.addLast(change);
        remoteChangeCount++;
        if (remoteChanges.size() > max) {
            remoteChanges.removeFirst();
        }
        if (joining == 0) {
            forgetRemoteChangesBefore(oldest);
        }
    }

    /** Drops the changes heard before {@code oldest}. Caller holds the monitor. */
    void forgetRemoteChangesBefore(long oldest) {
        while (!remoteChanges.isEmpty() && remoteChanges.peekFirst().heardAt() - oldest < 0) {
            remoteChanges.removeFirst();
        }
    }

    /** The number of the first change held that was heard at or after {@code oldest}. Caller holds the monitor. */
    long firstRemoteChangeSince(long oldest) {
        long n = remoteChangeCount - remoteChanges.size();
        for (RemoteChange change : remoteChanges) {
            if (change.heardAt() - oldest >= 0) {
                break;
            }
            n++;
        }
        return n;
    }

    /** The member list of a shard, creating it. Caller holds the monitor. */
    ShardMembers shardMembers(Shard shard) {
        for (ShardMembers sm : shards) {
            if (sm.shard == shard) {
                return sm;
            }
        }
        ShardMembers sm = new ShardMembers(shard);
        ShardMembers[] next = java.util.Arrays.copyOf(shards, shards.length + 1);
        next[shards.length] = sm;
        shards = next;
        return sm;
    }

    /** Drops a shard's member list once it is empty. Caller holds the monitor, on that shard's thread. */
    void dropIfEmpty(ShardMembers sm) {
        if (sm.members.length > 0) {
            return;
        }
        int n = 0;
        ShardMembers[] next = new ShardMembers[shards.length - 1];
        for (ShardMembers s : shards) {
            if (s != sm) {
                next[n++] = s;
            }
        }
        shards = next;
    }

    /** A member that joined ({@code joined}) or left the room on another node, as its notice said; heard at {@code heardAt} (nanoTime). */
    record RemoteChange(String connId, String userId, boolean joined, long heardAt) {
    }

    /** A message waiting for the offsets before it. */
    record Parked(String epoch, byte[] json, String exclude) {
    }

    /** The members of one room that live on one shard. {@link #members} is confined to that shard's thread. */
    static final class ShardMembers {
        private static final Membership[] NONE = new Membership[0];

        final Shard shard;
        /** Copy-on-write, so a delivery loop never sees a change made by a close in its middle. */
        Membership[] members = NONE;

        ShardMembers(Shard shard) {
            this.shard = shard;
        }

        void add(Membership m) {
            Membership[] next = java.util.Arrays.copyOf(members, members.length + 1);
            next[members.length] = m;
            members = next;
        }

        void remove(Membership m) {
            for (int i = 0; i < members.length; i++) {
                if (members[i] == m) {
                    Membership[] next = new Membership[members.length - 1];
                    System.arraycopy(members, 0, next, 0, i);
                    System.arraycopy(members, i + 1, next, i, members.length - i - 1);
                    members = next;
                    return;
                }
            }
        }
    }
}
