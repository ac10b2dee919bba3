package io.switchboard.core.presence;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.protocol.ServerMessage.Member;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Who is where, cluster-wide: the members of each room and the connections of each user, with the node
 * that holds them. Each node writes only its own connections. Stores shared between nodes expire a
 * node's entries unless it re-asserts them with {@link #refresh} within the store's TTL, so the members
 * of a node that died disappear on their own.
 *
 * <p>Occupancy: a store shared by every node decides, atomically with the change itself, when a room's member
 * count goes from 0 to 1 ({@link #join} answers true) and from 1 to 0 ({@link Leave#vacated}), so that exactly one
 * caller learns of each transition whichever node it runs on. Members whose entries expired count as gone.
 *
 * <p>Lost nodes: a shared store remembers which node holds each entry, so that when a node stops refreshing one
 * survivor can {@link #claimLostNode claim} it, read its {@link #lostEntries entries}, remove them with
 * {@link #leave} and {@link #disconnect} under the lost node's id (each removal is reported to one caller only)
 * and {@link #forgetLostNode forget} it.
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

    /**
     * What a {@link #leave} changed.
     *
     * @param removed this call removed the member (a second call for the same member, or one for a member that
     *     was never there, answers false)
     * @param vacated the room's count went from 1 to 0 with this call: no other caller is told so
     */
    record Leave(boolean removed, boolean vacated) {
    }

    /** The entries a lost node left behind, as {@link #lostEntries} reads them. */
    record LostEntries(String nodeId, List<RoomMember> members, List<UserConnection> connections) {
    }

    /**
     * A page of a room's members in member order (user id, then connection id), and how many the room has.
     *
     * @param count the room's members on every node when the page was read
     * @param members at most the limit asked for, each after the key asked for
     * @param more whether members after the last of {@code members} remain
     */
    record MemberPage(int count, List<Member> members, boolean more) {
    }

    /**
     * A member's place in member order, which pages are read by: user id, then connection id. Neither may
     * contain the NUL character, so the key sorts as the pair does.
     */
    static String orderKey(String userId, String connId) {
        return userId + '\0' + connId;
    }

    /** Member order as a comparator: the order of {@link #orderKey}, without building the key. */
    Comparator<Member> MEMBER_ORDER = Comparator.comparing(Member::userId).thenComparing(Member::connId);

    /**
     * A member that sorts, by {@link #MEMBER_ORDER}, where {@code orderKey} sorts among the members' keys, for
     * seeking to a page cursor: the user id is the key up to its first NUL and the connection id the rest. A key
     * with no NUL becomes that user id with an empty connection id, which sorts after the shorter user ids and
     * before that user's members, as the key itself does.
     */
    static Member seekTo(String orderKey) {
        int nul = orderKey.indexOf('\0');
        return nul < 0 ? new Member(orderKey, "", null)
                : new Member(orderKey.substring(0, nul), orderKey.substring(nul + 1), null);
    }

    /**
     * Adds a member to a room. {@code info} may be null. Answers whether the room's count went from 0 to 1 with
     * this call (true for exactly one of the callers that race to fill an empty room; false when the member was
     * already there).
     */
    CompletionStage<Boolean> join(String room, String nodeId, String userId, String connId, JsonNode info);

    /**
     * Removes a member that {@code nodeId} added to a room; completes normally when it was not there. Only the
     * node that added a member removes it, or the survivor that claimed that node once it was lost.
     */
    CompletionStage<Leave> leave(String room, String nodeId, String connId);

    /** The room's members on every node, sorted by user id then connection id. */
    CompletionStage<List<Member>> members(String room);

    /**
     * The room's members whose {@link #orderKey} is after {@code after} (null: from the first), at most
     * {@code limit}, in member order, with the room's count. A member present for a whole paging appears in
     * exactly one page; one that joins or leaves meanwhile may or may not. The default reads every member;
     * stores for large rooms read only the page.
     */
    default CompletionStage<MemberPage> page(String room, String after, int limit) {
        return members(room).thenApply(all -> {
            List<Member> out = new java.util.ArrayList<>(Math.min(limit, all.size()));
            Member from = after == null ? null : seekTo(after);
            int i = 0;
            while (i < all.size() && from != null && MEMBER_ORDER.compare(all.get(i), from) <= 0) {
                i++;
            }
            for (; i < all.size() && out.size() < limit; i++) {
                out.add(all.get(i));
            }
            return new MemberPage(all.size(), out, i < all.size());
        });
    }

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

    /**
     * Forgets a connection that {@code nodeId} recorded; completes normally when it was not there. Answers whether
     * this call removed it (see {@link Leave#removed}).
     */
    CompletionStage<Boolean> disconnect(String userId, String nodeId, String connId);

    /** Every connection of a user on every node, sorted by connection id. */
    CompletionStage<List<UserConnection>> connections(String userId);

    /**
     * Re-asserts everything {@code nodeId} holds now and pushes its expiry forward (the node's own too: a node that
     * stops refreshing is lost once the TTL has passed). Entries of the node
     * that are not in the lists are left alone (they are removed by leave and disconnect).
     */
    CompletionStage<Void> refresh(String nodeId, Collection<RoomMember> members, Collection<UserConnection> users);

    /**
     * Claims one node other than {@code claimer} that stopped refreshing more than the store's TTL ago, or whose
     * previous claim ran out (its claimer died too), for {@code lease}: no other caller gets it meanwhile. Answers
     * its id, or null when there is none. A store that only one node uses has no lost nodes (the default).
     */
    default CompletionStage<String> claimLostNode(String claimer, Duration lease) {
        return CompletableFuture.completedFuture(null);
    }

    /** The members and connections a claimed lost node still holds in the store. */
    default CompletionStage<LostEntries> lostEntries(String nodeId) {
        return CompletableFuture.completedFuture(new LostEntries(nodeId, List.of(), List.of()));
    }

    /** Drops the claim on a lost node whose entries were all removed, and what the store kept of it. */
    default CompletionStage<Void> forgetLostNode(String nodeId) {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Forgets {@code nodeId}, which stops gracefully and has removed its own entries (and reported its connections
     * itself): no survivor is to report what may be left of it as lost. Completes once every call this client
     * issued before it has landed, so the node's last leaves and disconnects are in before it closes the store.
     */
    default CompletionStage<Void> retire(String nodeId) {
        return CompletableFuture.completedFuture(null);
    }

    /** Releases connections. Idempotent. */
    @Override
    default void close() {
    }
}
