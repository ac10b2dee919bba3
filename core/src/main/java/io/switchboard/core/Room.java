package io.switchboard.core;

import java.util.concurrent.ConcurrentHashMap;

/**
 * A room: created on its first join, removed when its last member leaves. Its monitor guards
 * {@link #shards} and {@link #removed} and orders its publishes (see the package documentation).
 */
final class Room {
    private static final ShardMembers[] NO_SHARDS = new ShardMembers[0];

    final String name;
    /** Members by connId, readable from any thread (presence). Written under the monitor. */
    final ConcurrentHashMap<String, Connection> members = new ConcurrentHashMap<>();
    /** Per-shard member lists; copy-on-write under the monitor. */
    ShardMembers[] shards = NO_SHARDS;
    /** Set under the monitor when the room left the hub's map; a joiner that sees it retries. */
    boolean removed;

    Room(String name) {
        this.name = name;
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
