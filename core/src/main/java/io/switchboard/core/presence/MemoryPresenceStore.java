package io.switchboard.core.presence;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.internal.CopyOnWriteArrays;
import io.switchboard.protocol.ServerMessage.Member;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.NavigableSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.function.Predicate;

/**
 * Presence kept in this process: exact for one node, or for several nodes of one process sharing the
 * instance. Entries live until they are removed; nothing expires because nothing can outlive the
 * process that holds it. Thread-safe; every operation completes before it returns.
 */
public final class MemoryPresenceStore implements PresenceStore {
    /** room → its members; a room with none is removed. */
    private final ConcurrentHashMap<String, RoomMembers> rooms = new ConcurrentHashMap<>();
    /** userId → the user's connections: an array each, since most users have one or a few. */
    private final ConcurrentHashMap<String, UserConnection[]> users = new ConcurrentHashMap<>();

    /**
     * One room's members by connection and in member order, so that a page reads only itself. Both are changed
     * under the room's entry in {@link #rooms} (compute), and read without a lock. The ordered set holds the
     * members themselves ({@link PresenceStore#MEMBER_ORDER}), not a key string each: one object fewer per member.
     */
    private static final class RoomMembers {
        final ConcurrentHashMap<String, Member> byConn = new ConcurrentHashMap<>();
        final ConcurrentSkipListSet<Member> inOrder = new ConcurrentSkipListSet<>(PresenceStore.MEMBER_ORDER);
    }

    @Override
    public CompletionStage<Boolean> join(String room, String nodeId, String userId, String connId, JsonNode info) {
        Member member = new Member(userId, connId, info);
        boolean[] occupied = new boolean[1];
        rooms.compute(room, (r, members) -> {
            RoomMembers m = members == null ? new RoomMembers() : members;
            occupied[0] = m.byConn.isEmpty();
            Member old = m.byConn.put(connId, member);
            if (old != null) {
                m.inOrder.remove(old);
            }
            m.inOrder.add(member);
            return m;
        });
        return CompletableFuture.completedFuture(occupied[0]);
    }

    @Override
    public CompletionStage<Leave> leave(String room, String nodeId, String connId) {
        boolean[] removed = new boolean[1];
        RoomMembers left = rooms.computeIfPresent(room, (r, members) -> {
            Member old = members.byConn.remove(connId);
            if (old != null) {
                removed[0] = true;
                members.inOrder.remove(old);
            }
            return members.byConn.isEmpty() ? null : members;
        });
        return CompletableFuture.completedFuture(new Leave(removed[0], removed[0] && left == null));
    }

    @Override
    public CompletionStage<List<Member>> members(String room) {
        RoomMembers members = rooms.get(room);
        return CompletableFuture.completedFuture(members == null ? new ArrayList<>()
                : new ArrayList<>(members.inOrder));
    }

    @Override
    public CompletionStage<MemberPage> page(String room, String after, int limit) {
        RoomMembers members = rooms.get(room);
        if (members == null) {
            return CompletableFuture.completedFuture(new MemberPage(0, List.of(), false));
        }
        int count = members.byConn.size();
        NavigableSet<Member> rest = after == null ? members.inOrder
                : members.inOrder.tailSet(PresenceStore.seekTo(after), false);
        List<Member> out = new ArrayList<>(Math.min(limit, count));
        boolean more = false;
        for (Member m : rest) {
            if (out.size() == limit) {
                more = true;
                break;
            }
            out.add(m);
        }
        return CompletableFuture.completedFuture(new MemberPage(count, out, more));
    }

    @Override
    public CompletionStage<Boolean> anyMember(String room, Collection<String> connIds) {
        RoomMembers members = rooms.get(room);
        boolean any = false;
        if (members != null) {
            for (String connId : connIds) {
                any |= members.byConn.containsKey(connId);
            }
        }
        return CompletableFuture.completedFuture(any);
    }

    @Override
    public CompletionStage<Void> connect(String userId, String connId, String nodeId) {
        UserConnection added = new UserConnection(userId, connId, nodeId);
        users.compute(userId, (u, conns) -> {
            UserConnection[] rest = conns == null ? null : CopyOnWriteArrays.without(conns, sameConn(connId));
            return rest == null ? new UserConnection[] {added} : CopyOnWriteArrays.with(rest, added);
        });
        return done();
    }

    @Override
    public CompletionStage<Boolean> disconnect(String userId, String nodeId, String connId) {
        boolean[] removed = new boolean[1];
        users.computeIfPresent(userId, (u, conns) -> {
            UserConnection[] rest = CopyOnWriteArrays.without(conns, sameConn(connId));
            removed[0] = rest == null || rest.length < conns.length;
            return rest;
        });
        return CompletableFuture.completedFuture(removed[0]);
    }

    private static Predicate<UserConnection> sameConn(String connId) {
        return c -> c.connId().equals(connId);
    }

    @Override
    public CompletionStage<List<UserConnection>> connections(String userId) {
        UserConnection[] conns = users.get(userId);
        List<UserConnection> out = conns == null ? new ArrayList<>() : new ArrayList<>(Arrays.asList(conns));
        out.sort(Comparator.comparing(UserConnection::connId));
        return CompletableFuture.completedFuture(out);
    }

    @Override
    public CompletionStage<Void> refresh(String nodeId, Collection<RoomMember> members,
                                         Collection<UserConnection> connections) {
        return done();
    }

    private static CompletionStage<Void> done() {
        return CompletableFuture.completedFuture(null);
    }
}
