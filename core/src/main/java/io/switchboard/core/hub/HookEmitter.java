package io.switchboard.core.hub;

import io.switchboard.core.TimeSource;
import io.switchboard.core.hooks.LifecycleEvent;
import io.switchboard.core.hooks.LifecycleEvent.Type;
import io.switchboard.core.hooks.LifecycleHooks;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Builds the hub's lifecycle events and hands them to the {@link LifecycleHooks}: only the types wanted, so with
 * hooks off an event costs one array read. Thread-safe; callers emit a connection's events on its shard, in order.
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

    /** A member attached; {@code first}: the room had no member on this node before. */
    void joined(Connection c, String room, boolean first) {
        emit(Type.JOIN, c, room, null);
        if (first) {
            emit(Type.OCCUPIED, c, room, null);
        }
    }

    /** A member left ({@code reason} when its connection ended, else null); {@code last}: nobody is left here. */
    void left(Connection c, String room, String reason, boolean last) {
        emit(Type.LEAVE, c, room, reason);
        if (last) {
            emit(Type.VACATED, c, room, reason);
        }
    }

    void published(Connection c, String room) {
        emit(Type.PUBLISH, c, room, null);
    }

    private void emit(Type type, Connection c, String room, String reason) {
        if (!wanted[type.ordinal()]) {
            return;
        }
        String id = idPrefix + Long.toString(sequence.incrementAndGet(), 36);
        hooks.emit(new LifecycleEvent(id, type, time.currentTimeMillis(), nodeId, c.userId(), c.connId(), room,
                reason));
    }
}
