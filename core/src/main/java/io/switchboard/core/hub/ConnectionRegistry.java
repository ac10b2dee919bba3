package io.switchboard.core.hub;

import io.switchboard.core.DisconnectReason;
import io.switchboard.core.TimeSource;
import io.switchboard.core.internal.CopyOnWriteArrays;
import io.switchboard.core.transport.Session;
import io.switchboard.protocol.CloseCode;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This node's connections: by id, by user, and in the order they registered (a connection's sequence tells
 * a broadcast or a global notice whether it was there first). Thread-safe; adding and removing a connection
 * happen on its shard.
 */
final class ConnectionRegistry {
    private final String connIdPrefix;
    private final TimeSource time;
    /** Closes a connection on its own shard; usable from any thread. */
    private final MemberCloser closer;
    private final AtomicLong sequence = new AtomicLong();
    private final ConcurrentHashMap<String, Connection> byId = new ConcurrentHashMap<>();
    /** A user's connections on this node; an array each, since most users have one or a few. */
    private final ConcurrentHashMap<String, Connection[]> byUser = new ConcurrentHashMap<>();

    ConnectionRegistry(HubContext ctx, MemberCloser closer) {
        this.connIdPrefix = ctx.connIdPrefix();
        this.time = ctx.time();
        this.closer = closer;
    }

    /** Gives a new connection its id and adds it here and to its shard. Shard thread. */
    Connection add(Session session, String userId, Shard shard) {
        long seq = sequence.incrementAndGet();
        String connId = connIdPrefix + Long.toString(seq, 36);
        Connection c = new Connection(connId, userId, session, shard, time.currentTimeMillis(), time.nanoTime(), seq);
        byId.put(connId, c);
        byUser.compute(userId, (k, conns) -> conns == null ? new Connection[] {c} : CopyOnWriteArrays.with(conns, c));
        shard.add(c);
        return c;
    }

    /** Takes a connection out of here and its shard. Shard thread. */
    void remove(Connection c) {
        byUser.computeIfPresent(c.userId(), (k, conns) -> CopyOnWriteArrays.without(conns, x -> x == c));
        byId.remove(c.connId());
        c.shard().remove(c);
    }

    /** The connection with this id on this node, or null. */
    Connection get(String connId) {
        return connId == null ? null : byId.get(connId);
    }

    /** A user's connections on this node, or null when there are none. */
    Connection[] ofUser(String userId) {
        return byUser.get(userId);
    }

    /** The sequence of the latest connection registered: everything up to it is here (or already gone). */
    long lastSequence() {
        return sequence.get();
    }

    Collection<Connection> all() {
        return byId.values();
    }

    int count() {
        return byId.size();
    }

    /** Closes every connection of a user on this node, each on its own shard; returns how many. */
    int closeUser(String userId, CloseCode code, String reason) {
        Connection[] conns = byUser.get(userId);
        if (conns == null) {
            return 0;
        }
        for (Connection c : conns) {
            // Through the closer, on the connection's shard: it leaves its rooms now, not when the peer answers.
            closer.close(c, code, reason, DisconnectReason.KICKED);
        }
        return conns.length;
    }
}
