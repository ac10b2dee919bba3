package io.switchboard.core.presence;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.internal.CopyOnWriteArrays;
import io.switchboard.protocol.ServerMessage.Member;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Presence kept in this process: exact for one node, or for several nodes of one process sharing the
 * instance. Entries live until they are removed; nothing expires because nothing can outlive the
 * process that holds it. Thread-safe; every operation completes before it returns.
 */
public final class MemoryPresenceStore implements PresenceStore {
    private static final Comparator<Member> MEMBER_ORDER =
            Comparator.comparing(Member::userId).thenComparing(Member::connId);

    /** room → connId → member. */
    private final ConcurrentHashMap<String, Map<String, Member>> rooms = new ConcurrentHashMap<>();
    /** userId → the user's connections: an array each, since most users have one or a few. */
    private final ConcurrentHashMap<String, UserConnection[]> users = new ConcurrentHashMap<>();

    @Override
    public CompletionStage<Void> join(String room, String nodeId, String userId, String connId, JsonNode info) {
        rooms.computeIfAbsent(room, r -> new ConcurrentHashMap<>()).put(connId, new Member(userId, connId, info));
        return done();
    }

    @Override
    public CompletionStage<Void> leave(String room, String connId) {
        rooms.computeIfPresent(room, (r, members) -> {
            members.remove(connId);
            return members.isEmpty() ? null : members;
        });
        return done();
    }

    @Override
    public CompletionStage<List<Member>> members(String room) {
        Map<String, Member> members = rooms.get(room);
        List<Member> out = members == null ? new ArrayList<>() : new ArrayList<>(members.values());
        out.sort(MEMBER_ORDER);
        return CompletableFuture.completedFuture(out);
    }

    @Override
    public CompletionStage<Boolean> anyMember(String room, Collection<String> connIds) {
        Map<String, Member> members = rooms.get(room);
        boolean any = false;
        if (members != null) {
            for (String connId : connIds) {
                any |= members.containsKey(connId);
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
    public CompletionStage<Void> disconnect(String userId, String connId) {
        users.computeIfPresent(userId, (u, conns) -> CopyOnWriteArrays.without(conns, sameConn(connId)));
        return done();
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
