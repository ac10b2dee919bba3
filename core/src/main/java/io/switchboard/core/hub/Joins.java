package io.switchboard.core.hub;

import static io.switchboard.core.hub.BackendCalls.quietly;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.HubException;
import io.switchboard.core.broker.Broker;
import io.switchboard.core.broker.Envelope;
import io.switchboard.core.history.HistoryStore;
import io.switchboard.core.history.HistoryStore.Position;
import io.switchboard.core.policy.RoomPolicy;
import io.switchboard.core.presence.PresenceStore;
import io.switchboard.protocol.Command.Since;
import io.switchboard.protocol.ErrorCode;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ServerMessage;
import io.switchboard.protocol.ServerMessage.Member;
import io.switchboard.protocol.ServerMessage.RoomMessage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joining and leaving rooms: claiming a room (created and subscribed on its first join here), reading
 * its position or the recovery tail and its members, attaching the member in step with the room's
 * deliveries, correcting the member list with other nodes' changes, and releasing a room nobody holds.
 * Entry points run on the connection's shard; store callbacks come back to it.
 */
final class Joins {
    private static final Logger log = LoggerFactory.getLogger(Joins.class);
    /** Times a join re-reads a recovery that fell behind this node's deliveries. */
    private static final int MAX_JOIN_ATTEMPTS = 3;

    private final HubContext ctx;
    private final BackendCalls calls;
    private final HistoryStore history;
    private final PresenceStore presence;
    private final Broker broker;
    private final String nodeId;
    private final JsonCodec codec;
    private final Map<String, Room> rooms;
    private final RoomSequencer sequencer;
    private final FanOut fanOut;
    private final PresenceDiffs diffs;
    private final String connIdPrefix;

    /** @param rooms the hub's rooms with members (or a join under way) here */
    Joins(HubContext ctx, Map<String, Room> rooms, RoomSequencer sequencer, FanOut fanOut, PresenceDiffs diffs) {
        this.ctx = ctx;
        this.calls = ctx.calls();
        this.history = ctx.history();
        this.presence = ctx.presence();
        this.broker = ctx.broker();
        this.nodeId = ctx.nodeId();
        this.codec = ctx.codec();
        this.rooms = rooms;
        this.sequencer = sequencer;
        this.fanOut = fanOut;
        this.diffs = diffs;
        this.connIdPrefix = ctx.connIdPrefix();
    }

    /** What a join reads before it attaches the member: its recovery (or position) and the first members. */
    private record JoinRead(HistoryStore.Recovery recovery, PresenceStore.MemberPage members) {
    }

    /**
     * How many members a join lists: {@code presence.joinMembersLimit} in rooms that list members, none where
     * the namespace sends counts or nothing (the read then only counts).
     */
    private int listed(String roomName) {
        return ctx.policies().of(roomName).presence() == RoomPolicy.Presence.FULL
                ? ctx.config().presence().joinMembersLimit() : 0;
    }

    /**
     * Joins a room, creating it. With {@code since}, the result carries the messages to replay before
     * anything newer: deliveries of older offsets still queued skip this member. The callback runs on the
     * connection's shard, before any delivery to the new member; with in-memory stores, before this
     * method returns. Shard thread.
     *
     * @throws HubException when the join is refused at once (too many rooms, room full)
     */
    void join(Connection c, String roomName, Since since, JoinCallback callback) throws HubException {
        Membership existing = c.rooms.get(roomName);
        if (existing != null) {
            CompletableFuture<PresenceStore.MemberPage> members =
                    calls.store(() -> presence.page(roomName, null, listed(roomName)));
            onShard(c, members, () -> {
                Room room = existing.room;
                Position position;
                synchronized (room) {
                    position = new Position(room.lastDelivered, room.epoch);
                }
                if (members.isCompletedExceptionally()) {
                    callback.failed(BackendCalls.hubError(members));
                } else {
                    PresenceStore.MemberPage page = members.join();
                    callback.joined(new JoinResult(roomName, page.members(), page.count(), page.more(), position,
                            null, List.of(), List.of()));
                }
            });
            return;
        }
        int maxRooms = ctx.config().websocket().maxRoomsPerConnection();
        if (c.rooms.size() + c.joining >= maxRooms) {
            throw new HubException(ErrorCode.TOO_MANY_ROOMS, "already in " + maxRooms + " rooms, the maximum");
        }
        Room room = claimRoom(roomName);
        long noticesFrom;
        synchronized (room) {
            if (since != null) {
                room.recoveringJoins++;
            }
            noticesFrom = room.firstRemoteChangeSince(ctx.oldestRemoteChangeKept());
        }
        c.joining++;
        readForJoin(c, room, since, callback, 1, noticesFrom, new AtomicBoolean());
    }

    /** The room, created and subscribed if new, with one more join holding it. */
    private Room claimRoom(String roomName) throws HubException {
        while (true) {
            Room room = rooms.computeIfAbsent(roomName, n -> new Room(n, ctx.policies().of(n)));
            boolean created;
            synchronized (room) {
                if (room.removed) {
                    continue;
                }
                if (room.members.size() >= room.policy.maxMembers()) {
                    throw roomFull(room);
                }
                room.joining++;
                created = room.subscribed == null;
                if (created) {
                    room.subscribed = calls.broker(() -> broker.subscribe(Envelope.roomChannel(roomName)));
                }
            }
            return room;
        }
    }

    /** Its namespace's {@code maxMembers}, or {@code hub.maxRoomMembers}, on this node. */
    private static HubException roomFull(Room room) {
        return new HubException(ErrorCode.ROOM_FULL, "room " + room.name + " is full");
    }

    /**
     * {@code noticesFrom}: the room's remote change count before this read began (see {@link #withRemoteNotices});
     * {@code occupied}: set once the presence store says this join filled the empty room, until it is reported.
     */
    private void readForJoin(Connection c, Room room, Since since, JoinCallback callback, int attempt,
                             long noticesFrom, AtomicBoolean occupied) {
        JsonNode info = Members.info(codec, c);
        CompletableFuture<JoinRead> read = room.subscribed
                .thenCompose(v -> calls.store(() -> presence.join(room.name, nodeId, c.userId(), c.connId(), info)))
                .thenApply(filled -> {
                    if (filled) {
                        occupied.set(true);
                    }
                    return filled;
                })
                .thenCompose(v -> calls.store(() -> since == null
                        ? history.position(room.name).thenCompose(p -> newest(room, p))
                        : history.recover(room.name, since.offset(), since.epoch())))
                .thenCompose(recovery -> calls.store(() -> presence.page(room.name, null, listed(room.name)))
                        .thenApply(members -> new JoinRead(recovery, members)));
        onShard(c, read, () -> attach(c, room, since, read, callback, attempt, noticesFrom, occupied));
    }

    /**
     * A join without {@code since}: nothing to replay, except in a {@code delivery: latest} room, whose newest
     * message the joiner gets after {@code room_joined} (read here in case this node has not delivered one).
     */
    private java.util.concurrent.CompletionStage<HistoryStore.Recovery> newest(Room room, Position p) {
        if (!room.policy.latestOnly() || p.offset() == 0 || room.policy.historySize() == 0) {
            return CompletableFuture.completedFuture(new HistoryStore.Recovery(false, List.of(), p));
        }
        return history.recover(room.name, p.offset() - 1, p.epoch())
                .thenApply(r -> new HistoryStore.Recovery(false, r.recovered() ? r.messages() : List.of(), p));
    }

    /** The newest message a joiner of a latest room gets: the one this node delivered last, else as read. */
    private byte[] latestFor(Room room, List<RoomMessage> read, long through) {
        if (room.latestJson != null && room.latestOffset == through) {
            return room.latestJson;
        }
        for (int i = read.size() - 1; i >= 0; i--) {
            if (read.get(i).offset() == through) {
                return codec.encode(read.get(i));
            }
        }
        return null;
    }

    /** Second half of a join, on the connection's shard: makes the member and answers. */
    private void attach(Connection c, Room room, Since since, CompletableFuture<JoinRead> read, JoinCallback callback,
                        int attempt, long noticesFrom, AtomicBoolean occupied) {
        c.joining--;
        synchronized (room) {
            room.joining--;
            if (since != null && --room.recoveringJoins == 0) {
                room.recent.clear();
            }
        }
        if (read.isCompletedExceptionally() || c.removed || c.rooms.contains(room.name)) {
            if (!c.rooms.contains(room.name)) {
                undoPresenceJoin(c, room.name, occupied);
            }
            releaseIfUnused(room);
            if (read.isCompletedExceptionally()) {
                callback.failed(BackendCalls.hubError(read));
            } else if (!c.removed) {
                PresenceStore.MemberPage page = read.join().members();
                callback.joined(new JoinResult(room.name, page.members(), page.count(), page.more(),
                        new Position(room.lastDelivered, room.epoch), null, List.of(), List.of()));
            }
            return;
        }
        JoinRead r = read.join();
        HistoryStore.Recovery recovery = r.recovery();
        synchronized (room) {
            if (room.members.size() >= room.policy.maxMembers()) {
                undoPresenceJoin(c, room.name, occupied);
                releaseIfUnusedLocked(room);
                callback.failed(roomFull(room));
                return;
            }
            Position stored = recovery.position();
            if (!room.initialized) {
                sequencer.initialize(room, stored);
            } else if (!stored.epoch().equals(room.epoch) && !stored.epoch().equals(room.previousEpoch)) {
                sequencer.resync(room, stored.epoch(), stored.offset(), "its history was lost");
            }
            Boolean recovered = null;
            List<RoomMessage> replay = List.of();
            List<byte[]> replayFrames = List.of();
            long through = room.lastDelivered;
            if (since != null) {
                boolean sameLineage = recovery.recovered() && stored.epoch().equals(room.epoch);
                List<byte[]> tail = sameLineage ? deliveredAfter(room, stored.offset()) : null;
                if (sameLineage && tail == null && attempt < MAX_JOIN_ATTEMPTS) {
                    // This node delivered past what the recovery read and no longer holds the difference.
                    room.joining++;
                    room.recoveringJoins++;
                    c.joining++;
                    readForJoin(c, room, since, callback, attempt + 1,
                            room.firstRemoteChangeSince(ctx.oldestRemoteChangeKept()), occupied);
                    return;
                }
                recovered = tail != null;
                if (recovered) {
                    replay = upTo(recovery.messages(), room.lastDelivered);
                    replayFrames = tail;
                    through = Math.max(room.lastDelivered, since.offset());
                }
            }
            byte[] latest = since == null && room.policy.latestOnly() ? latestFor(room, recovery.messages(), through)
                    : null;
            Membership m = new Membership(c, room, through);
            room.shardMembers(c.shard()).add(m);
            room.members.put(c.connId(), c);
            c.rooms.put(m);
            ctx.throttle().joined(c, room);
            ctx.hooks().joined(c, room.name);
            if (occupied.getAndSet(false)) {
                ctx.hooks().occupied(c, room.name);
            }
            ctx.metrics().roomJoined(room.members.size());
            byte[] notice = codec.encode(new ServerMessage.UserJoinedRoom(room.name, c.userId(), c.connId()));
            // The store's count at the read already holds this member.
            room.knownCount = Math.max(room.members.size(), r.members().count());
            diffs.changed(room, true, c.userId(), c.connId(), notice, c);
            // Other nodes need it even when no member here hears of it: it corrects their joins under way.
            publishNotice(room.name, notice);
            PresenceStore.MemberPage page = r.members();
            JoinResult result;
            if (page.more()) {
                // Only the first members: the count is the store's at the read, the list those of them still here
                // (correcting it the way a full list is corrected would cost the whole room per join).
                List<Member> members = new ArrayList<>(page.members().size());
                for (Member listed : page.members()) {
                    if (!listed.connId().startsWith(connIdPrefix) || room.members.containsKey(listed.connId())) {
                        members.add(listed);
                    }
                }
                result = new JoinResult(room.name, members, page.count(), true, new Position(through, room.epoch),
                        recovered, replay, replayFrames, latest);
            } else {
                List<Member> members = withLocalMembers(withRemoteNotices(page.members(), room, noticesFrom), room);
                result = new JoinResult(room.name, members, members.size(), false, new Position(through, room.epoch),
                        recovered, replay, replayFrames, latest);
            }
            if (room.joining == 0) {
                room.forgetRemoteChangesBefore(ctx.oldestRemoteChangeKept());
            }
            callback.joined(result);
        }
    }

    /**
     * What this node delivered after {@code offset}, up to its last delivery: empty when the read is
     * current, null when the room no longer holds all of it. Caller holds the monitor.
     */
    private static List<byte[]> deliveredAfter(Room room, long offset) {
        if (offset >= room.lastDelivered) {
            return List.of();
        }
        if (room.recent.isEmpty() || room.recent.firstKey() > offset + 1) {
            return null;
        }
        return new ArrayList<>(room.recent.subMap(offset, false, room.lastDelivered, true).values());
    }

    private static List<RoomMessage> upTo(List<RoomMessage> messages, long last) {
        int n = messages.size();
        while (n > 0 && messages.get(n - 1).offset() > last) {
            n--;
        }
        return n == messages.size() ? messages : messages.subList(0, n);
    }

    /**
     * The members read from presence before this join attached, corrected for this node's own, which the
     * room knows for certain under its monitor: a connection that attached or left since that read sent its
     * notice before the joiner was a member, so the answer must say so itself. One that joined presence but
     * has not attached yet is left out: its notice reaches the joiner when it attaches. Other nodes' members
     * are as read. Caller holds the monitor.
     */
    private List<Member> withLocalMembers(List<Member> read, Room room) {
        List<Member> out = new ArrayList<>(read.size() + 1);
        Set<String> listed = new HashSet<>();
        for (Member m : read) {
            if (!m.connId().startsWith(connIdPrefix) || room.members.containsKey(m.connId())) {
                out.add(m);
                listed.add(m.connId());
            }
        }
        for (Connection other : room.members.values()) {
            if (!listed.contains(other.connId())) {
                out.add(new Member(other.userId(), other.connId(), Members.info(codec, other)));
            }
        }
        out.sort(Members.ORDER);
        return out;
    }

    /**
     * The members read from presence, corrected by the join and leave notices other nodes sent since this
     * join began: a member that attached on another node after the read sent its notice before the joiner
     * was a member here, so the answer must carry it (without its presence info, which notices do not
     * hold), and one that left meanwhile must not stay listed. The notices heard shortly before the join
     * began count too: a leave's notice can arrive before its presence removal lands, and the read may
     * still list the member. Applying a change the read already shows changes nothing, since each
     * connection's notices arrive in order. Applied oldest first; a later change reaches the joiner as a
     * notice of its own. Caller holds the monitor.
     */
    private List<Member> withRemoteNotices(List<Member> read, Room room, long noticesFrom) {
        long missed = room.remoteChangeCount - noticesFrom;
        if (missed <= 0) {
            return read;
        }
        int held = room.remoteChanges.size();
        if (missed > held) {
            log.warn("room {}: {} joins and leaves on other nodes arrived during a join, more than the {} kept; "
                    + "its member list may miss some", room.name, missed, held);
        }
        Map<String, Member> byConn = new java.util.LinkedHashMap<>();
        for (Member m : read) {
            byConn.put(m.connId(), m);
        }
        long skip = held - Math.min(missed, held);
        for (Room.RemoteChange change : room.remoteChanges) {
            if (skip-- > 0) {
                continue;
            }
            if (change.joined()) {
                byConn.putIfAbsent(change.connId(), new Member(change.userId(), change.connId()));
            } else {
                byConn.remove(change.connId());
            }
        }
        return new ArrayList<>(byConn.values());
    }

    /** Leaves a room; the last member out removes it. Shard thread. */
    void leave(Connection c, String roomName) throws HubException {
        Membership m = c.rooms.remove(roomName);
        if (m == null) {
            throw HubException.notInRoom(roomName);
        }
        removeMembership(m, null);
    }

    /** @param reason why the connection ended, when that is why it leaves; null for a leave of its own */
    void removeMembership(Membership m, String reason) {
        Room room = m.room;
        Connection c = m.connection;
        CompletableFuture<PresenceStore.Leave> left = calls.store(() -> presence.leave(room.name, nodeId, c.connId()));
        synchronized (room) {
            Room.ShardMembers sm = room.shardMembers(c.shard());
            sm.remove(m);
            room.dropIfEmpty(sm);
            room.members.remove(c.connId());
            ctx.throttle().left(c, room);
            Shard.dropHeld(m);
            ctx.hooks().left(c, room.name, reason);
            // Registered after the leave event: an in-memory store has answered already, and vacated must follow it.
            reportVacated(c, room.name, reason, left);
            byte[] notice = codec.encode(new ServerMessage.UserLeftRoom(room.name, c.userId(), c.connId()));
            room.knownCount = Math.max(room.members.size(), room.knownCount - 1);
            diffs.changed(room, false, c.userId(), c.connId(), notice, null);
            publishNotice(room.name, notice);
            releaseIfUnusedLocked(room);
        }
    }

    /**
     * Takes back a presence join whose member never attached. The occupied it caused is reported all the same,
     * so that the vacated the undo may cause has its pair.
     */
    private void undoPresenceJoin(Connection c, String roomName, AtomicBoolean occupied) {
        CompletableFuture<PresenceStore.Leave> left = calls.store(() -> presence.leave(roomName, nodeId, c.connId()));
        if (occupied.getAndSet(false)) {
            ctx.hooks().occupied(c, roomName);
        }
        reportVacated(c, roomName, null, left);
    }

    /** Reports the room vacated once the presence store says this leave emptied it (on the store's thread). */
    private void reportVacated(Connection c, String roomName, String reason,
                               CompletableFuture<PresenceStore.Leave> left) {
        left.whenComplete((l, e) -> {
            if (e != null) {
                log.debug("presence leave failed: {}", e.toString());
            } else if (l.vacated()) {
                ctx.hooks().vacated(c, roomName, reason);
            }
        });
    }

    private void releaseIfUnused(Room room) {
        synchronized (room) {
            releaseIfUnusedLocked(room);
        }
    }

    /** Removes a room nobody on this node holds any more, and stops receiving it. Caller holds the monitor. */
    private void releaseIfUnusedLocked(Room room) {
        if (room.removed || !room.members.isEmpty() || room.joining > 0) {
            return;
        }
        room.removed = true;
        rooms.remove(room.name, room);
        quietly("unsubscribe", calls.broker(() -> broker.unsubscribe(Envelope.roomChannel(room.name))));
    }

    private void publishNotice(String roomName, byte[] json) {
        if (broker.reachesOtherNodes()) {
            quietly("room notice", calls.broker(() -> broker.publish(Envelope.roomChannel(roomName),
                    Envelope.roomNotice(nodeId, roomName, json).encode())));
        }
    }

    /**
     * Runs {@code task} once {@code f} completed: at once when it already has (the caller is on the shard),
     * otherwise on the connection's shard.
     */
    private static void onShard(Connection c, CompletableFuture<?> f, Runnable task) {
        if (f.isDone()) {
            task.run();
            return;
        }
        f.whenComplete((v, e) -> {
            try {
                c.shard().executor().execute(task);
            } catch (RejectedExecutionException rejected) {
                log.debug("{} is gone; dropped the end of its join", c.connId());
            }
        });
    }
}
