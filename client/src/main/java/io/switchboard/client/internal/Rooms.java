package io.switchboard.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.client.Member;
import io.switchboard.client.RoomJoined;
import io.switchboard.client.RoomListener;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * The rooms of one client, in or joining, and the server's room events: room messages (each offset
 * delivered once across reconnects, see {@link RoomState}), {@code room_joined}, members joining and
 * leaving, and the fate of a join that was refused or went unanswered. Events reach each room's
 * listener through the client's callback executor, in order.
 *
 * <p>Confined to the client's event loop, except {@link #names()}.
 */
final class Rooms {
    /** In the order they were joined: rejoins after a reconnect go out in that order. */
    private final Map<String, RoomState> rooms = new LinkedHashMap<>();
    /** Mirror of {@link #rooms}' keys for {@link #names()} from any thread. */
    private final Set<String> names = ConcurrentHashMap.newKeySet();
    private final Executor callbacks;

    Rooms(Executor callbacks) {
        this.callbacks = callbacks;
    }

    /** The room's state, created on first use; its events go to {@code listener} from now on. */
    RoomState add(String room, RoomListener listener) {
        RoomState rs = rooms.computeIfAbsent(room, RoomState::new);
        names.add(room);
        rs.listener = listener;
        return rs;
    }

    /** Forgets the room; returns its state, or null when it was not there. */
    RoomState remove(String room) {
        names.remove(room);
        return rooms.remove(room);
    }

    Collection<RoomState> all() {
        return rooms.values();
    }

    /** The names of the rooms, from any thread. */
    Set<String> names() {
        return Set.copyOf(names);
    }

    /** Fails the application's futures waiting for the room's next {@code room_joined}. */
    void failWaiters(RoomState rs, Throwable error) {
        for (CompletableFuture<RoomJoined> w : rs.waiters) {
            callbacks.execute(() -> w.completeExceptionally(error));
        }
        rs.waiters.clear();
    }

    /** The connection is gone: no join is in flight any more (the next welcome rejoins every room). */
    void forgetPendingJoins() {
        for (RoomState rs : rooms.values()) {
            rs.pendingJoin = null;
        }
    }

    /** The client is closed: fails every join still waiting. */
    void failAllWaiters(Throwable error) {
        for (RoomState rs : rooms.values()) {
            failWaiters(rs, error);
        }
    }

    /**
     * A request went unanswered. When it was a room's join, its waiters fail; a first join is then
     * forgotten (the application saw it fail). Returns true when it was a rejoin of a confirmed room:
     * the connection is not working, and the caller starts over.
     */
    boolean joinTimedOut(PendingRequest<?> p, Throwable timeout) {
        RoomState rs = p.room == null ? null : rooms.get(p.room);
        if (rs == null || rs.pendingJoin != p) {
            return false;
        }
        rs.pendingJoin = null;
        failWaiters(rs, timeout);
        if (!rs.confirmed) {
            remove(p.room);
            return false;
        }
        return true;
    }

    /**
     * The server refused a request. When it was a room's (re)join, the room is not ours any more: it
     * is forgotten and its waiters fail. Returns true when it was a rejoin of a room the server had
     * confirmed before, which the application hears of only through its listener.
     */
    boolean joinRefused(PendingRequest<?> p, Throwable refused) {
        RoomState rs = p.room == null ? null : rooms.get(p.room);
        if (rs == null || rs.pendingJoin != p) {
            return false;
        }
        remove(p.room);
        failWaiters(rs, refused);
        return rs.confirmed;
    }

    void onRoomMessage(JsonNode m) {
        var msg = Decode.roomMessage(m);
        RoomState rs = rooms.get(msg.room());
        // Not ours (left, or never joined), or already delivered before the reconnect.
        if (rs != null && rs.accept(msg.offset())) {
            RoomListener l = rs.listener;
            callbacks.execute(() -> l.onRoomMessage(msg));
        }
    }

    /** Completes the room's waiters and tells its listener, and whether recovery lost messages. */
    void onRoomJoined(JsonNode m) {
        RoomJoined joined = Decode.roomJoined(m);
        RoomState rs = rooms.get(joined.room());
        if (rs == null) {
            return;
        }
        boolean recoveryFailed = rs.joined(joined);
        for (CompletableFuture<RoomJoined> w : rs.waiters) {
            callbacks.execute(() -> w.complete(joined));
        }
        rs.waiters.clear();
        RoomListener l = rs.listener;
        callbacks.execute(() -> {
            l.onJoined(joined);
            if (recoveryFailed) {
                l.onRecoveryFailed(joined);
            }
        });
    }

    void onMembership(JsonNode m, boolean joinedRoom) {
        String room = m.path("room").asText();
        RoomState rs = rooms.get(room);
        if (rs == null) {
            return;
        }
        var member = new Member(m.path("userId").asText(null), m.path("connId").asText(null));
        RoomListener l = rs.listener;
        callbacks.execute(() -> {
            if (joinedRoom) {
                l.onMemberJoined(room, member);
            } else {
                l.onMemberLeft(room, member);
            }
        });
    }
}
