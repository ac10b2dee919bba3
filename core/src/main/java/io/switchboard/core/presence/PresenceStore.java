package io.switchboard.core.presence;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.protocol.ServerMessage.Member;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Who is where, cluster-wide: the members of each room and the connections of each user, with the node
 * that holds them. Each node writes only its own connections. Stores shared between nodes expire a
 * node's entries unless it re-asserts them with {@link #refresh} within the store's TTL, so the members
 * of a node that died disappear on their own.
 *
 * <p>Implementations are thread-safe; every operation is asynchronous and never blocks the caller.
 */
public interface PresenceStore extends AutoCloseable {

    /** One connection of a user, and the node that holds it. */
    record UserConnection(String userId, String connId, String nodeId) {
    }

    /** One member of one room on one node, as {@link #refresh} re-asserts it. */
    record RoomMember(String room, String userId, String connId, JsonNode info) {
    }

    /** Adds a member to a room. {@code info} may be null. */
    CompletionStage<Void> join(String room, String nodeId, String userId, String connId, JsonNode info);

    /** Removes a member from a room; completes normally when it was not there. */
    CompletionStage<Void> leave(String room, String connId);

    /** The room's members on every node, sorted by user id then connection id. */
    CompletionStage<List<Member>> members(String room);

    /**
     * Whether any of {@code connIds} is a member of the room on any node. The default reads every member;
     * stores shared between nodes answer without moving the member list.
     */
    default CompletionStage<Boolean> anyMember(String room, Collection<String> connIds) {
        return members(room).thenApply(members -> {
            for (Member m : members) {
                if (connIds.contains(m.connId())) {
                    return true;
                }
            }
            return false;
        });
    }

    /** Records a connection of a user. */
    CompletionStage<Void> connect(String userId, String connId, String nodeId);

    /** Forgets a connection; completes normally when it was not there. */
    CompletionStage<Void> disconnect(String userId, String connId);

    /** Every connection of a user on every node, sorted by connection id. */
    CompletionStage<List<UserConnection>> connections(String userId);

    /**
     * Re-asserts everything {@code nodeId} holds now and pushes its expiry forward. Entries of the node
     * that are not in the lists are left alone (they are removed by leave and disconnect).
     */
    CompletionStage<Void> refresh(String nodeId, Collection<RoomMember> members, Collection<UserConnection> users);

    /** Releases connections. Idempotent. */
    @Override
    default void close() {
    }
}
