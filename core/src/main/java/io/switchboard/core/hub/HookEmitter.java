package io.switchboard.core.hub;

import io.switchboard.core.TimeSource;
import io.switchboard.core.hooks.LifecycleEvent;
import io.switchboard.core.hooks.LifecycleEvent.Type;
import io.switchboard.core.hooks.LifecycleHooks;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Builds the hub's lifecycle events and hands them to the {@link LifecycleHooks}: only the types wanted, so with
 * hooks off an event costs one array read. Thread-safe; callers emit a connection's events on its shard, in order,
 * except occupied and vacated, which follow the presence store's answer on its thread, and a lost node's, which
 * {@link LostNodes} emits.
 */
final class HookEmitter {
    private final LifecycleHooks hooks;
    private final TimeSource time;
    private final String nodeId;
    /** Node id plus a random word drawn at start: ids stay unique when a node restarts under the same id. */
    private final String idPrefix;
    private final AtomicLong sequence = new AtomicLong();
    private final boolean[] wanted = new boolean[Type.values().length];

    HookEmitter(LifecycleHooks hooks, TimeSource time, String nodeId) {
        this.hooks = hooks;
        this.time = time;
        this.nodeId = nodeId;
        this.idPrefix = nodeId + "-" + Long.toString(new SecureRandom().nextLong() & Long.MAX_VALUE, 36) + "-";
        for (Type t : Type.values()) {
            wanted[t.ordinal()] = hooks.wants(t);
        }
    }

    void connected(Connection c) {
        emit(Type.CONNECT, c, null, null);
    }

    void disconnected(Connection c, String reason) {
        emit(Type.DISCONNECT, c, null, reason);
    }

    void joined(Connection c, String room) {
        emit(Type.JOIN, c, room, null);
    }

    /** The presence store found the room empty before {@code c}'s join: one node in the cluster says so. */
    void occupied(Connection c, String room) {
        emit(Type.OCCUPIED, c, room, null);
    }

    /** A member left ({@code reason} when its connection ended, else null). */
    void left(Connection c, String room, String reason) {
        emit(Type.LEAVE, c, room, reason);
    }

    /** The presence store found the room empty after {@code c}'s leave: one node in the cluster says so. */
    void vacated(Connection c, String room, String reason) {
        emit(Type.VACATED, c, room, reason);
    }

    /**
     * Something that happened to a connection of {@code lostNode}, reported by this node: the event names the
     * node that held the connection.
     */
    void lost(Type type, String lostNode, String userId, String connId, String room, String reason) {
        if (wanted[type.ordinal()]) {
            send(type, lostNode, userId, connId, room, reason);
        }
    }

    void published(Connection c, String room) {
        emit(Type.PUBLISH, c, room, null);
    }

    private void emit(Type type, Connection c, String room, String reason) {
        if (!wanted[type.ordinal()]) {
            return;
        }
        send(type, nodeId, c.userId(), c.connId(), room, reason);
    }

    private void send(Type type, String node, String userId, String connId, String room, String reason) {
        String id = idPrefix + Long.toString(sequence.incrementAndGet(), 36);
        hooks.emit(new LifecycleEvent(id, type, time.currentTimeMillis(), node, userId, connId, room, reason));
    }
}
