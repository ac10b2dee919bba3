package io.switchboard.core.hub;

import io.switchboard.core.HubException;
import io.switchboard.core.broker.Broker;
import io.switchboard.core.presence.PresenceStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Whether a user shares a room with a sending connection, for {@code security.privateMessages: sharedRoom}.
 *
 * <p>The rule, cluster-wide: some connection of the user, on any node, is a member of a room the sending
 * connection has joined. Only the sender's own rooms count (not those of the sender's other connections):
 * they are what this node knows for sure. This node's members are read from its rooms; other nodes' from the
 * presence store, which lists the user's connections and each room's members on every node, so a member that
 * joined elsewhere a moment ago may not count until its presence write landed.
 *
 * <p>Thread-safe; {@link #share} reads the sender's rooms, so it runs on the sender's shard.
 */
final class SharedRooms {
    private final BackendCalls calls;
    private final PresenceStore presence;
    private final Broker broker;
    private final String nodeId;
    private final Map<String, Room> rooms;
    private final ConnectionRegistry connections;

    SharedRooms(HubContext ctx, Map<String, Room> rooms, ConnectionRegistry connections) {
        this.calls = ctx.calls();
        this.presence = ctx.presence();
        this.broker = ctx.broker();
        this.nodeId = ctx.nodeId();
        this.rooms = rooms;
        this.connections = connections;
    }

    /** Completes with whether {@code to} shares a room with {@code from}. Shard thread of {@code from}. */
    CompletionStage<Boolean> share(Connection from, String to) throws HubException {
        List<String> senderRooms = from.rooms.names();
        if (senderRooms.isEmpty()) {
            return CompletableFuture.completedFuture(false);
        }
        boolean here = sharesHere(senderRooms, to);
        if (here || !broker.reachesOtherNodes()) {
            return CompletableFuture.completedFuture(here);
        }
        return calls.storeOrThrow(() -> presence.connections(to)).thenCompose(conns -> {
            List<String> elsewhere = new ArrayList<>();
            for (PresenceStore.UserConnection uc : conns) {
                if (!uc.nodeId().equals(nodeId)) {
                    elsewhere.add(uc.connId());
                }
            }
            if (elsewhere.isEmpty()) {
                return CompletableFuture.completedFuture(false);
            }
            List<CompletableFuture<Boolean>> checks = new ArrayList<>(senderRooms.size());
            for (String room : senderRooms) {
                checks.add(calls.store(() -> presence.anyMember(room, elsewhere)));
            }
            return CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new))
                    .thenApply(v -> checks.stream().anyMatch(CompletableFuture::join));
        });
    }

    /** A connection of {@code to} on this node is in one of the rooms; room members are readable from any thread. */
    private boolean sharesHere(List<String> senderRooms, String to) {
        Connection[] targets = connections.ofUser(to);
        if (targets == null) {
            return false;
        }
        for (String name : senderRooms) {
            Room room = rooms.get(name);
            if (room == null) {
                continue;
            }
            for (Connection c : targets) {
                if (room.members.containsKey(c.connId())) {
                    return true;
                }
            }
        }
        return false;
    }
}
