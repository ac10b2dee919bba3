package io.switchboard.core.hub;

import io.switchboard.core.HubException;
import io.switchboard.core.history.HistoryStore;
import io.switchboard.core.presence.PresenceStore;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ServerMessage.Member;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What the API and clients ask about rooms: members here and in the cluster, history pages, room lists, and
 * the presence refresh that keeps this node's entries alive. Read-only on the hub's state; thread-safe.
 */
final class Queries {
    private final HubContext ctx;
    private final JsonCodec codec;
    private final BackendCalls calls;
    private final PresenceStore presence;
    private final HistoryStore history;
    private final Map<String, Room> rooms;

    Queries(HubContext ctx, Map<String, Room> rooms) {
        this.ctx = ctx;
        this.codec = ctx.codec();
        this.calls = ctx.calls();
        this.presence = ctx.presence();
        this.history = ctx.history();
        this.rooms = rooms;
    }

    CompletionStage<List<Member>> members(String roomName) throws HubException {
        return calls.storeOrThrow(() -> presence.members(roomName));
    }

    CompletionStage<PresenceStore.MemberPage> page(String roomName, String after, int limit) throws HubException {
        return calls.storeOrThrow(() -> presence.page(roomName, after, limit));
    }

    List<Member> localMembers(String roomName) {
        Room room = rooms.get(roomName);
        if (room == null) {
            return List.of();
        }
        List<Member> out = new ArrayList<>(room.members.size());
        for (Connection c : room.members.values()) {
            out.add(new Member(c.userId(), c.connId(), Members.info(codec, c)));
        }
        out.sort(Members.ORDER);
        return out;
    }

    CompletionStage<Void> refreshPresence(Collection<Connection> connections) {
        String nodeId = ctx.nodeId();
        List<PresenceStore.RoomMember> members = new ArrayList<>();
        for (Room room : rooms.values()) {
            for (Connection c : room.members.values()) {
                members.add(new PresenceStore.RoomMember(room.name, c.userId(), c.connId(), Members.info(codec, c)));
            }
        }
        List<PresenceStore.UserConnection> conns = new ArrayList<>(connections.size());
        for (Connection c : connections) {
            conns.add(new PresenceStore.UserConnection(c.userId(), c.connId(), nodeId));
        }
        return calls.store(() -> presence.refresh(nodeId, members, conns));
    }

    CompletionStage<RoomInfo> roomInfo(String roomName) throws HubException {
        CompletableFuture<List<Member>> members = calls.storeOrThrow(() -> presence.members(roomName));
        return members.thenCompose(ms -> calls.store(() -> history.position(roomName))
                .thenApply(p -> new RoomInfo(roomName, ms, p.offset(), p.epoch())));
    }

    List<RoomSummary> rooms() {
        List<RoomSummary> out = new ArrayList<>();
        rooms.forEach((name, room) -> {
            int n = room.members.size();
            if (n > 0) {
                out.add(new RoomSummary(name, n));
            }
        });
        out.sort(Comparator.comparing(RoomSummary::room));
        return out;
    }

    CompletionStage<HistoryStore.Page> history(String roomName, Long afterOffset, Integer limit) throws HubException {
        int cap = Math.max(1, ctx.policies().of(roomName).historySize());
        int n = limit == null ? cap : Math.min(limit, cap);
        return calls.storeOrThrow(() -> history.read(roomName, afterOffset, n));
    }
}
