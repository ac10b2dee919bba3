package io.switchboard.core;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.cluster.Broker;
import io.switchboard.core.cluster.ClusterGuard;
import io.switchboard.core.cluster.Envelope;
import io.switchboard.core.cluster.MemoryBroker;
import io.switchboard.core.cluster.MemoryPresenceStore;
import io.switchboard.core.cluster.PresenceStore;
import io.switchboard.core.config.SwitchboardConfig;
import io.switchboard.core.history.HistoryStore;
import io.switchboard.core.history.HistoryStore.Appended;
import io.switchboard.core.history.HistoryStore.Position;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.Command.Since;
import io.switchboard.protocol.ErrorCode;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ServerMessage;
import io.switchboard.protocol.ServerMessage.Member;
import io.switchboard.protocol.ServerMessage.RoomMessage;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection registry and message router of one node: rooms with offsets and recovery, private
 * messages, broadcasts, presence. Thread-safe; methods that take a {@link Connection} run on that
 * connection's shard (see the package documentation for the threading model).
 *
 * <p>Every message is encoded once and framed once whatever the number of recipients: the frame is
 * handed to one task per shard, which writes it to that shard's members.
 *
 * <p>Scale-out: history, presence and the {@link Broker} are behind SPIs. A room message is appended
 * to history (which numbers it), delivered to this node's members through the room's sequencer, and
 * published to the other nodes, whose sequencers deliver it in offset order. With the in-memory
 * implementations every step completes before it returns, so a single node behaves exactly as if it
 * called them directly.
 */
public final class Hub {
    private static final Logger log = LoggerFactory.getLogger(Hub.class);
    private static final Comparator<Member> MEMBER_ORDER =
            Comparator.comparing(Member::userId).thenComparing(Member::connId);
    /** Offset of frames outside a room's numbered history (notices, binary relays). */
    private static final long UNNUMBERED = -1;
    /** Messages a room parks while it waits for a missing offset; beyond, history fills the gap. */
    private static final int MAX_PARKED = 10_000;
    /** Times a join re-reads a recovery that fell behind this node's deliveries. */
    private static final int MAX_JOIN_ATTEMPTS = 3;
    /** Other nodes' joins and leaves a room keeps for its joins (see {@link Room#remoteChanges}). */
    static final int MAX_REMOTE_NOTICES = 1024;
    /** Deliveries a room keeps while recovering joins read history (see {@link Room#recent}). */
    private static final int MAX_RECENT = 10_000;
    /**
     * Rooms whose last publication to the other nodes failed, and rooms with an append that failed but may
     * have happened, that the hub remembers (see {@link #unpublished} and {@link #unsettled}), each.
     */
    private static final int MAX_UNPUBLISHED = 10_000;
    static final String BROADCAST_CHANNEL = "all";

    /** The stores and broker a hub works with, and the guards in front of the remote ones. */
    public record Backends(HistoryStore history, Broker broker, PresenceStore presence, ClusterGuard brokerGuard,
                           ClusterGuard storeGuard) {
        /** Everything in this process: today's single node. */
        public static Backends memory(HistoryStore history) {
            return new Backends(history, new MemoryBroker(), new MemoryPresenceStore(), null, null);
        }
    }

    /** Receives the outcome of a join on the connection's shard thread. */
    public interface JoinCallback {
        void joined(JoinResult result);

        void failed(HubException error);
    }

    private final SwitchboardConfig config;
    private final HistoryStore history;
    private final Broker broker;
    private final PresenceStore presence;
    private final ClusterGuard brokerGuard;
    private final ClusterGuard storeGuard;
    private final FrameFactory frames;
    private final JsonCodec codec;
    private final TimeSource time;
    private final String nodeId;
    /** Every connection id this node hands out starts with it, so an id tells whether it is local. */
    private final String connIdPrefix;
    private final String nodeChannel;
    private final ServerMessage.ServerInfo serverInfo;
    private final HubStats stats = new HubStats();
    private final HubMetrics metrics;
    private final AtomicLong connSequence = new AtomicLong();
    private final ConcurrentHashMap<Executor, Shard> shards = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Connection> connections = new ConcurrentHashMap<>();
    /** A user's connections on this node; an array each, since most users have one or a few. */
    private final ConcurrentHashMap<String, Connection[]> users = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Room> rooms = new ConcurrentHashMap<>();
    /** Gap checks; created on first use, so a single node never starts the thread. */
    private volatile ScheduledExecutorService scheduler;
    /** Set by {@link #close}; no scheduler is created after it. Guarded by {@code this}. */
    private boolean closed;
    /**
     * Per room, the newest message this node appended but could not publish to the other nodes (broker
     * disconnected, breaker open, buffer full), or found settling an {@link #unsettled} room. They notice a
     * missing offset only when a later one reaches them: when no later message comes, this one is published
     * again until the broker takes it. At most {@link #MAX_UNPUBLISHED} rooms.
     */
    private final ConcurrentHashMap<String, Envelope> unpublished = new ConcurrentHashMap<>();
    /**
     * Rooms where an append failed (timed out, connection lost) but may still have happened: the message
     * then has an offset that no node delivers until a later one shows the gap. The room's newest message
     * is read from history and published to the other nodes, and this node reads what it missed. At most
     * {@link #MAX_UNPUBLISHED} rooms.
     */
    private final Set<String> unsettled = ConcurrentHashMap.newKeySet();
    /** A {@link #republish} is scheduled. */
    private final AtomicBoolean republishPending = new AtomicBoolean();
    /** {@link #unpublished} was full since it was last empty; logged once. */
    private final AtomicBoolean unpublishedFull = new AtomicBoolean();

    public Hub(SwitchboardConfig config, HistoryStore history, FrameFactory frames, JsonCodec codec, TimeSource time,
               String nodeId, String version) {
        this(config, history, frames, codec, time, nodeId, version, HubMetrics.NOOP);
    }

    public Hub(SwitchboardConfig config, HistoryStore history, FrameFactory frames, JsonCodec codec, TimeSource time,
               String nodeId, String version, HubMetrics metrics) {
        this(config, Backends.memory(history), frames, codec, time, nodeId, version, metrics);
    }

    public Hub(SwitchboardConfig config, Backends backends, FrameFactory frames, JsonCodec codec, TimeSource time,
               String nodeId, String version, HubMetrics metrics) {
        this.metrics = metrics;
        this.config = config;
        this.history = backends.history();
        this.broker = backends.broker();
        this.presence = backends.presence();
        this.brokerGuard = backends.brokerGuard();
        this.storeGuard = backends.storeGuard();
        this.frames = frames;
        this.codec = codec;
        this.time = time;
        this.nodeId = nodeId;
        this.connIdPrefix = "c-" + nodeId + "-";
        this.nodeChannel = "node." + nodeId;
        this.serverInfo = new ServerMessage.ServerInfo(version, nodeId,
                config.websocket().pingInterval().toMillis(), config.websocket().maxMessageBytes());
    }

    /**
     * Connects to the broker and subscribes to the broadcast channel and this node's own channel;
     * completes when messages from other nodes flow. Immediate with the in-memory broker.
     */
    public CompletionStage<Void> start() {
        return broker.start(new Inbound())
                .thenCompose(v -> broker.subscribe(BROADCAST_CHANNEL))
                .thenCompose(v -> broker.subscribe(nodeChannel));
    }

    /** Stops the gap checks and closes the broker and stores. Idempotent. */
    public void close() {
        ScheduledExecutorService s;
        synchronized (this) {
            closed = true;
            s = scheduler;
        }
        if (s != null) {
            s.shutdownNow();
        }
        closeQuietly(broker);
        closeQuietly(presence);
        closeQuietly(history);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            log.warn("closing {} failed", c, e);
        }
    }

    public SwitchboardConfig config() {
        return config;
    }

    public TimeSource time() {
        return time;
    }

    public JsonCodec codec() {
        return codec;
    }

    public HubStats stats() {
        return stats;
    }

    /** Where the hub reports its work; {@link HubMetrics#NOOP} when metrics are off. */
    public HubMetrics metrics() {
        return metrics;
    }

    public String nodeId() {
        return nodeId;
    }

    public Broker broker() {
        return broker;
    }

    /** The guard in front of the broker; null when the broker is in memory. */
    public ClusterGuard brokerGuard() {
        return brokerGuard;
    }

    /** The guard in front of the history and presence stores; null when they are in memory. */
    public ClusterGuard storeGuard() {
        return storeGuard;
    }

    /** The shard of an executor, created on first use. */
    public Shard shard(Executor executor) {
        return shards.computeIfAbsent(executor, e -> new Shard(e, config.hub().maxPendingFanouts(), this));
    }

    // ---------------------------------------------------------------- connections

    /** Registers a new connection and sends its {@code welcome}. Shard thread. */
    public Connection register(Session session, String userId, Shard shard) {
        long sequence = connSequence.incrementAndGet();
        String connId = connIdPrefix + Long.toString(sequence, 36);
        Connection c = new Connection(connId, userId, session, shard, time.currentTimeMillis(), time.nanoTime(),
                sequence);
        connections.put(connId, c);
        users.compute(userId, (k, conns) -> conns == null ? new Connection[] {c} : CopyOnWriteArrays.with(conns, c));
        shard.add(c);
        stats.connectionsTotal.increment();
        metrics.connectionOpened();
        quietly("presence connect", storeCall(() -> presence.connect(userId, connId, nodeId)));
        send(c, new ServerMessage.Welcome(connId, userId, ServerMessage.Welcome.GREETING, serverInfo));
        if (config.hub().notifyGlobalPresence()) {
            // Only to those connected before: a later connection would hear of someone who was already there.
            broadcastFrame(codec.encode(new ServerMessage.UserJoined(userId, connId)), c, sequence - 1);
        }
        if (log.isDebugEnabled()) {
            String remote = session.remoteAddress();
            log.atDebug().addKeyValue("connId", connId).addKeyValue("userId", userId).addKeyValue("remote", remote)
                    .log("connected {} user={} from {}", connId, userId, remote);
        }
        return c;
    }

    /**
     * Removes a connection from its rooms and the registry. Idempotent. Shard thread. The transport calls
     * it when the connection is gone; the hub calls it when it closes one.
     */
    public void disconnect(Connection c, DisconnectReason reason) {
        if (c.removed) {
            return;
        }
        c.removed = true;
        metrics.connectionClosed(reason, time.nanoTime() - c.connectedAtNanos());
        for (Membership m : c.rooms.values()) {
            removeMembership(m);
        }
        c.rooms.clear();
        users.computeIfPresent(c.userId(), (k, conns) -> CopyOnWriteArrays.without(conns, x -> x == c));
        connections.remove(c.connId());
        c.shard().remove(c);
        quietly("presence disconnect", storeCall(() -> presence.disconnect(c.userId(), c.connId())));
        if (config.hub().notifyGlobalPresence()) {
            broadcastFrame(codec.encode(new ServerMessage.UserLeft(c.userId(), c.connId())), c, connSequence.get());
        }
        log.atDebug().addKeyValue("connId", c.connId()).addKeyValue("userId", c.userId())
                .addKeyValue("reason", reason.label())
                .log("disconnected {} user={} reason={}", c.connId(), c.userId(), reason.label());
    }

    /** Closes a connection with a code and removes it at once. Shard thread. */
    public void close(Connection c, CloseCode code, String reason, DisconnectReason why) {
        if (log.isInfoEnabled()) {
            String remote = c.session().remoteAddress(); // built per call: once here
            log.atInfo().addKeyValue("connId", c.connId()).addKeyValue("userId", c.userId())
                    .addKeyValue("remote", remote).addKeyValue("closeCode", code.code())
                    .log("closing {} user={} from {}: {} {}", c.connId(), c.userId(), remote, code.code(), reason);
        }
        c.session().close(code, reason);
        disconnect(c, why);
    }

    /** Closes a connection on its own shard; usable from any thread. */
    private void closeOnShard(Connection c, CloseCode code, String reason, DisconnectReason why) {
        try {
            c.shard().executor().execute(() -> {
                if (!c.removed) {
                    close(c, code, reason, why);
                }
            });
        } catch (RejectedExecutionException e) {
            c.session().close(code, reason);
        }
    }

    /** Sends an already encoded message (a replay) to one connection. Thread-safe. */
    public void sendEncoded(Connection c, byte[] json) {
        // Counted before it leaves: whoever sees the message and then asks /stats sees it counted.
        stats.messagesSent.increment();
        metrics.messagesSent(HubMetrics.FrameType.TEXT, 1, json.length);
        c.session().sendText(json);
    }

    /** Sends one message to one connection. Thread-safe. */
    public void send(Connection c, ServerMessage message) {
        sendEncoded(c, codec.encode(message));
    }

    public Collection<Connection> connections() {
        return connections.values();
    }

    public int connectionCount() {
        return connections.size();
    }

    /**
     * Closes every connection of a user on this node, and asks the other nodes to do the same; returns
     * how many this node closed. Thread-safe.
     */
    public int disconnectUser(String userId, CloseCode code, String reason) {
        if (broker.reachesOtherNodes()) {
            quietly("kick", brokerCall(() -> broker.publish(BROADCAST_CHANNEL,
                    Envelope.kick(nodeId, userId, code.code()).encode())));
        }
        return disconnectLocalUser(userId, code, reason);
    }

    private int disconnectLocalUser(String userId, CloseCode code, String reason) {
        Connection[] conns = users.get(userId);
        if (conns == null) {
            return 0;
        }
        int n = 0;
        for (Connection c : conns) {
            n++;
            // Through close(), on the connection's shard: it leaves its rooms now, not when the peer answers.
            closeOnShard(c, code, reason, DisconnectReason.KICKED);
        }
        return n;
    }

    // ---------------------------------------------------------------- rooms: joining and leaving

    /** The outcome of a join: who is in the room, where its history stands, and what to replay first. */
    public record JoinResult(String room, List<Member> members, Position position, Boolean recovered,
                             List<RoomMessage> replay, List<byte[]> replayFrames) {
        public JoinResult(String room, List<Member> members, Position position, Boolean recovered,
                          List<RoomMessage> replay) {
            this(room, members, position, recovered, replay, List.of());
        }
    }

    /** What a join reads before it attaches the member: its recovery (or position) and the members. */
    private record JoinRead(HistoryStore.Recovery recovery, List<Member> members) {
    }

    /**
     * Joins a room, creating it. With {@code since}, the result carries the messages to replay before
     * anything newer: deliveries of older offsets still queued skip this member. The callback runs on the
     * connection's shard, before any delivery to the new member; with in-memory stores, before this
     * method returns. Shard thread.
     *
     * @throws HubException when the join is refused at once (too many rooms, room full)
     */
    public void join(Connection c, String roomName, Since since, JoinCallback callback) throws HubException {
        Membership existing = c.rooms.get(roomName);
        if (existing != null) {
            CompletableFuture<List<Member>> members = storeCall(() -> presence.members(roomName));
            onShard(c, members, () -> {
                Room room = existing.room;
                Position position;
                synchronized (room) {
                    position = new Position(room.lastDelivered, room.epoch);
                }
                if (members.isCompletedExceptionally()) {
                    callback.failed(hubError(members));
                } else {
                    callback.joined(new JoinResult(roomName, members.join(), position, null, List.of()));
                }
            });
            return;
        }
        int maxRooms = config.websocket().maxRoomsPerConnection();
        if (c.rooms.size() + c.joining >= maxRooms) {
            throw new HubException(ErrorCode.TOO_MANY_ROOMS, "already in " + maxRooms + " rooms, the maximum");
        }
        Room room = claimRoom(roomName);
        long noticesFrom;
        synchronized (room) {
            if (since != null) {
                room.recoveringJoins++;
            }
            noticesFrom = room.firstRemoteChangeSince(oldestRemoteChangeKept());
        }
        c.joining++;
        readForJoin(c, room, since, callback, 1, noticesFrom);
    }

    /** The room, created and subscribed if new, with one more join holding it. */
    private Room claimRoom(String roomName) throws HubException {
        while (true) {
            Room room = rooms.computeIfAbsent(roomName, Room::new);
            boolean created;
            synchronized (room) {
                if (room.removed) {
                    continue;
                }
                if (room.members.size() >= config.hub().maxRoomMembers()) {
                    throw new HubException(ErrorCode.ROOM_FULL, "room " + roomName + " is full");
                }
                room.joining++;
                created = room.subscribed == null;
                if (created) {
                    room.subscribed = brokerCall(() -> broker.subscribe(roomChannel(roomName)));
                }
            }
            return room;
        }
    }

    /** {@code noticesFrom}: the room's remote change count before this read began (see {@link #withRemoteNotices}). */
    private void readForJoin(Connection c, Room room, Since since, JoinCallback callback, int attempt,
                             long noticesFrom) {
        JsonNode info = presenceInfo(c);
        CompletableFuture<JoinRead> read = room.subscribed
                .thenCompose(v -> storeCall(() -> presence.join(room.name, nodeId, c.userId(), c.connId(), info)))
                .thenCompose(v -> storeCall(() -> since == null
                        ? history.position(room.name).thenApply(p -> new HistoryStore.Recovery(false, List.of(), p))
                        : history.recover(room.name, since.offset(), since.epoch())))
                .thenCompose(recovery -> storeCall(() -> presence.members(room.name))
                        .thenApply(members -> new JoinRead(recovery, members)));
        onShard(c, read, () -> attach(c, room, since, read, callback, attempt, noticesFrom));
    }

    /** Second half of a join, on the connection's shard: makes the member and answers. */
    private void attach(Connection c, Room room, Since since, CompletableFuture<JoinRead> read, JoinCallback callback,
                        int attempt, long noticesFrom) {
        c.joining--;
        synchronized (room) {
            room.joining--;
            if (since != null && --room.recoveringJoins == 0) {
                room.recent.clear();
            }
        }
        if (read.isCompletedExceptionally() || c.removed || c.rooms.containsKey(room.name)) {
            if (!c.rooms.containsKey(room.name)) {
                quietly("presence leave", storeCall(() -> presence.leave(room.name, c.connId())));
            }
            releaseIfUnused(room);
            if (read.isCompletedExceptionally()) {
                callback.failed(hubError(read));
            } else if (!c.removed) {
                callback.joined(new JoinResult(room.name, read.join().members(),
                        new Position(room.lastDelivered, room.epoch), null, List.of()));
            }
            return;
        }
        JoinRead r = read.join();
        HistoryStore.Recovery recovery = r.recovery();
        synchronized (room) {
            if (room.members.size() >= config.hub().maxRoomMembers()) {
                quietly("presence leave", storeCall(() -> presence.leave(room.name, c.connId())));
                releaseIfUnusedLocked(room);
                callback.failed(new HubException(ErrorCode.ROOM_FULL, "room " + room.name + " is full"));
                return;
            }
            Position stored = recovery.position();
            if (!room.initialized) {
                initialize(room, stored);
            } else if (!stored.epoch().equals(room.epoch) && !stored.epoch().equals(room.previousEpoch)) {
                resync(room, stored.epoch(), stored.offset(), "its history was lost");
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
                            room.firstRemoteChangeSince(oldestRemoteChangeKept()));
                    return;
                }
                recovered = tail != null;
                if (recovered) {
                    replay = upTo(recovery.messages(), room.lastDelivered);
                    replayFrames = tail;
                    through = Math.max(room.lastDelivered, since.offset());
                }
            }
            Membership m = new Membership(c, room, through);
            room.shardMembers(c.shard()).add(m);
            room.members.put(c.connId(), c);
            c.rooms.put(room.name, m);
            metrics.roomJoined(room.members.size());
            byte[] notice = codec.encode(new ServerMessage.UserJoinedRoom(room.name, c.userId(), c.connId()));
            fanOutLocked(room, notice, c, UNNUMBERED);
            publishNotice(room.name, notice);
            List<Member> members = withLocalMembers(withRemoteNotices(r.members(), room, noticesFrom), room);
            if (room.joining == 0) {
                room.forgetRemoteChangesBefore(oldestRemoteChangeKept());
            }
            callback.joined(new JoinResult(room.name, members, new Position(through, room.epoch), recovered,
                    replay, replayFrames));
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
                out.add(new Member(other.userId(), other.connId(), presenceInfo(other)));
            }
        }
        out.sort(MEMBER_ORDER);
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

    /** The join or leave another node's room notice announces; null for any other notice. */
    private Room.RemoteChange remoteChange(String roomName, byte[] json) {
        JsonNode notice;
        try {
            notice = codec.mapper().readTree(json);
        } catch (java.io.IOException e) {
            log.warn("room {}: ignored a notice from another node that is not JSON", roomName);
            return null;
        }
        String type = notice.path("type").asText("");
        String connId = notice.path("connId").asText(null);
        String userId = notice.path("userId").asText(null);
        boolean joined = type.equals("user_joined_room");
        if (connId == null || userId == null || !joined && !type.equals("user_left_room")) {
            return null;
        }
        return new Room.RemoteChange(connId, userId, joined, time.nanoTime());
    }

    /**
     * The oldest other nodes' change a join still applies: one heard {@code cluster.timeout} ago. A node
     * sends its leave notice after it asked presence to remove the member, and that removal lands (or
     * fails) within the timeout, so a presence read that began later cannot list the member any more.
     */
    private long oldestRemoteChangeKept() {
        return time.nanoTime() - config.cluster().timeout().toNanos();
    }

    /** Leaves a room; the last member out removes it. Shard thread. */
    public void leave(Connection c, String roomName) throws HubException {
        Membership m = c.rooms.remove(roomName);
        if (m == null) {
            throw notInRoom(roomName);
        }
        removeMembership(m);
    }

    private void removeMembership(Membership m) {
        Room room = m.room;
        Connection c = m.connection;
        quietly("presence leave", storeCall(() -> presence.leave(room.name, c.connId())));
        synchronized (room) {
            Room.ShardMembers sm = room.shardMembers(c.shard());
            sm.remove(m);
            room.dropIfEmpty(sm);
            room.members.remove(c.connId());
            byte[] notice = codec.encode(new ServerMessage.UserLeftRoom(room.name, c.userId(), c.connId()));
            if (!room.members.isEmpty()) {
                fanOutLocked(room, notice, null, UNNUMBERED);
            }
            publishNotice(room.name, notice);
            releaseIfUnusedLocked(room);
        }
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
        quietly("unsubscribe", brokerCall(() -> broker.unsubscribe(roomChannel(room.name))));
    }

    // ---------------------------------------------------------------- rooms: the sequencer

    /** First join on this node: the room's deliveries continue from the position the join read. */
    private void initialize(Room room, Position position) {
        room.initialized = true;
        room.epoch = position.epoch();
        room.lastDelivered = position.offset();
        drainParked(room);
    }

    /**
     * A numbered message for a room with members on this node, from this node or another, in any order:
     * delivered when its turn comes, parked when earlier offsets are missing, dropped when it is a
     * duplicate. Thread-safe.
     */
    private void sequence(Room room, String epoch, long offset, byte[] json, String exclude) {
        synchronized (room) {
            if (room.removed) {
                return;
            }
            if (!room.initialized) {
                park(room, offset, new Room.Parked(epoch, json, exclude));
                return;
            }
            if (!epoch.equals(room.epoch)) {
                if (epoch.equals(room.previousEpoch)) {
                    return;
                }
                resync(room, epoch, offset - 1, "its history was lost");
            }
            long next = room.lastDelivered + 1;
            if (offset < next) {
                return;
            }
            if (offset > next) {
                park(room, offset, new Room.Parked(epoch, json, exclude));
                scheduleGapCheck(room, config.cluster().gapTimeout().toNanos());
                return;
            }
            deliverNumbered(room, offset, json, exclude);
            drainParked(room);
        }
    }

    private void park(Room room, long offset, Room.Parked message) {
        if (room.parked.size() >= MAX_PARKED) {
            // History has it: the gap check reads everything after lastDelivered anyway.
            room.catchUp = true;
            scheduleGapCheck(room, 0);
            return;
        }
        room.parked.put(offset, message);
    }

    private void deliverNumbered(Room room, long offset, byte[] json, String exclude) {
        room.lastDelivered = offset;
        if (room.recoveringJoins > 0) {
            room.recent.put(offset, json);
            if (room.recent.size() > MAX_RECENT) {
                room.recent.pollFirstEntry();
            }
        }
        Connection skip = exclude == null ? null : connections.get(exclude);
        fanOutLocked(room, json, skip, offset);
    }

    /** Delivers parked messages whose turn came; drops those already delivered. Caller holds the monitor. */
    private void drainParked(Room room) {
        while (!room.parked.isEmpty()) {
            Map.Entry<Long, Room.Parked> first = room.parked.firstEntry();
            long offset = first.getKey();
            Room.Parked p = first.getValue();
            if (!p.epoch().equals(room.epoch) || offset <= room.lastDelivered) {
                room.parked.pollFirstEntry();
            } else if (offset == room.lastDelivered + 1) {
                room.parked.pollFirstEntry();
                deliverNumbered(room, offset, p.json(), p.exclude());
            } else {
                return;
            }
        }
    }

    private void scheduleGapCheck(Room room, long delayNanos) {
        if (room.gapCheckPending) {
            return;
        }
        room.gapCheckPending = true;
        try {
            scheduler().schedule(() -> fillGap(room), delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            room.gapCheckPending = false; // the hub is closing
        }
    }

    /** Reads from history what this node missed of a room, and delivers it in order. */
    private void fillGap(Room room) {
        long after;
        long parkedBeforeRead;
        int limit = Math.max(1, config.history().size());
        synchronized (room) {
            room.gapCheckPending = false;
            if (room.removed || !room.initialized || (room.parked.isEmpty() && !room.catchUp)) {
                return;
            }
            room.catchUp = false;
            after = room.lastDelivered;
            // Appended before it was published, so before this read: history must hold everything up to it.
            parkedBeforeRead = room.parked.isEmpty() ? 0 : room.parked.firstKey();
        }
        CompletableFuture<HistoryStore.Page> page = storeCall(() -> history.read(room.name, after, limit));
        page.whenComplete((p, e) -> {
            synchronized (room) {
                if (e != null) {
                    log.atWarn().addKeyValue("room", room.name)
                            .log("reading the history of room {} to fill a gap failed, retrying: {}", room.name,
                                    Failures.rootCause(e).toString());
                    room.catchUp = true;
                    scheduleGapCheck(room, config.cluster().timeout().toNanos());
                    return;
                }
                applyHistory(room, p, limit, parkedBeforeRead);
            }
        });
    }

    private void applyHistory(Room room, HistoryStore.Page page, int limit, long parkedBeforeRead) {
        if (room.removed) {
            return;
        }
        if (!page.epoch().equals(room.epoch)) {
            long last = page.messages().isEmpty() ? 0 : page.messages().get(page.messages().size() - 1).offset();
            resync(room, page.epoch(), last, "its history was lost");
            return;
        }
        for (RoomMessage m : page.messages()) {
            long next = room.lastDelivered + 1;
            if (m.offset() < next) {
                continue;
            }
            if (m.offset() > next) {
                resync(room, room.epoch, m.offset() - 1, "offsets " + next + ".." + (m.offset() - 1)
                        + " are no longer in history");
            }
            Room.Parked p = room.parked.remove(m.offset());
            deliverNumbered(room, m.offset(), p != null ? p.json() : codec.encode(m), p != null ? p.exclude() : null);
        }
        drainParked(room);
        if (page.messages().size() >= limit) {
            room.catchUp = true;
            scheduleGapCheck(room, 0);
        } else if (parkedBeforeRead > room.lastDelivered + 1) {
            long missing = room.lastDelivered + 1;
            resync(room, room.epoch, parkedBeforeRead - 1, "offsets " + missing + ".." + (parkedBeforeRead - 1)
                    + " are no longer in history");
            drainParked(room);
        } else if (!room.parked.isEmpty()) {
            // Parked while the read was under way: their predecessors may still be on their way too.
            scheduleGapCheck(room, config.cluster().gapTimeout().toNanos());
        }
    }

    /**
     * This node cannot deliver a contiguous sequence of the room any more (its history was lost, or
     * offsets were trimmed before this node could read them): the room continues from {@code lastOffset}
     * of {@code epoch}, and its members here are closed with 1012 so that they rejoin with {@code since}
     * and learn {@code recovered:false} instead of silently missing messages. Caller holds the monitor.
     */
    private void resync(Room room, String epoch, long lastOffset, String why) {
        log.atWarn().addKeyValue("room", room.name).addKeyValue("members", room.members.size())
                .log("room {} cannot be delivered in order on this node: {}; closing its {} members here so "
                        + "that they recover", room.name, why, room.members.size());
        if (!epoch.equals(room.epoch)) {
            room.previousEpoch = room.epoch;
            room.epoch = epoch;
        }
        room.lastDelivered = lastOffset;
        room.parked.headMap(lastOffset, true).clear();
        for (Connection c : room.members.values()) {
            closeOnShard(c, CloseCode.SERVICE_RESTART, "room " + room.name + " must be recovered",
                    DisconnectReason.RESYNC);
        }
    }

    private ScheduledExecutorService scheduler() {
        ScheduledExecutorService s = scheduler;
        if (s == null) {
            synchronized (this) {
                s = scheduler;
                if (s == null) {
                    if (closed) {
                        // A publish that failed as the broker closed must not start a thread nobody stops.
                        throw new RejectedExecutionException("the hub is closed");
                    }
                    s = Executors.newSingleThreadScheduledExecutor(r -> {
                        Thread t = new Thread(r, "switchboard-gap-check");
                        t.setDaemon(true);
                        return t;
                    });
                    scheduler = s;
                }
            }
        }
        return s;
    }

    // ---------------------------------------------------------------- rooms: publishing

    /**
     * Publishes a client's message to a room it joined; completes with its offset. The sender does not
     * receive it unless {@code echo}. With in-memory stores, completes before returning. Shard thread.
     */
    public CompletionStage<Long> publish(Connection from, String roomName, String content, JsonNode data,
                                         boolean echo) throws HubException {
        Membership m = from.rooms.get(roomName);
        if (m == null) {
            throw notInRoom(roomName);
        }
        return publish(roomName, m.room, from.userId(), from.connId(), content, data, echo ? null : from.connId());
    }

    /** Publishes a message from the backend API to a room, joined or not; completes with its offset. Thread-safe. */
    public CompletionStage<Long> publish(String roomName, String from, String content, JsonNode data)
            throws HubException {
        return publish(roomName, rooms.get(roomName), from, null, content, data, null);
    }

    private CompletionStage<Long> publish(String roomName, Room local, String fromUser, String fromConn,
                                          String content, JsonNode data, String exclude) throws HubException {
        long ts = time.currentTimeMillis();
        CompletableFuture<Appended> appended;
        if (local != null) {
            synchronized (local) {
                requireCapacity(local);
                appended = storeCallOrThrow(() -> history.append(roomName, fromUser, fromConn, content, data, ts));
                if (appended.isDone() && !appended.isCompletedExceptionally()) {
                    // In-memory history: numbered and delivered under one monitor, in offset order.
                    return CompletableFuture.completedFuture(delivered(roomName, appended.join(), exclude));
                }
            }
        } else {
            appended = storeCallOrThrow(() -> history.append(roomName, fromUser, fromConn, content, data, ts));
        }
        return appended.handle((a, e) -> {
            if (e != null) {
                unsettled(roomName);
                throw new CompletionException(unavailable("publishing to room " + roomName, e));
            }
            return delivered(roomName, a, exclude);
        });
    }

    /** Delivers an appended message here and sends it to the other nodes; returns its offset. */
    private long delivered(String roomName, Appended a, String exclude) {
        RoomMessage message = a.message();
        byte[] json = codec.encode(message);
        Room room = rooms.get(roomName);
        if (room != null) {
            sequence(room, a.epoch(), message.offset(), json, exclude);
        }
        if (broker.reachesOtherNodes()) {
            Envelope envelope = Envelope.roomMessage(nodeId, roomName, a.epoch(), message.offset(), exclude, json);
            // Already in history: a node that misses this publication reads it from there once a later
            // message shows it the gap; if this one is not published, it is remembered and published later.
            long start = time.nanoTime();
            CompletableFuture<Void> published = brokerCall(() -> broker.publish(roomChannel(roomName),
                    envelope.encode()));
            published.whenComplete((v, e) -> {
                if (e == null) {
                    forgetUnpublished(roomName, envelope);
                } else {
                    rememberUnpublished(roomName, envelope);
                }
                metrics.brokerPublished(time.nanoTime() - start, e == null);
            });
            quietly("publish to room " + roomName, published);
        }
        return message.offset();
    }

    /** A room message reached the broker: a remembered older one of the room needs no republishing. */
    private void forgetUnpublished(String roomName, Envelope envelope) {
        if (unpublished.isEmpty()) {
            return;
        }
        unpublished.computeIfPresent(roomName, (k, old) ->
                old.epoch().equals(envelope.epoch()) && old.offset() <= envelope.offset() ? null : old);
    }

    /** A room message did not reach the broker: remember the room's newest such one, and republish it. */
    private void rememberUnpublished(String roomName, Envelope envelope) {
        Envelope kept = unpublished.compute(roomName, (k, old) -> {
            if (old == null) {
                return unpublished.size() < MAX_UNPUBLISHED ? envelope : null;
            }
            return !old.epoch().equals(envelope.epoch()) || old.offset() < envelope.offset() ? envelope : old;
        });
        if (kept == null && unpublishedFull.compareAndSet(false, true)) {
            log.atWarn().addKeyValue("rooms", MAX_UNPUBLISHED)
                    .log("the broker refused the last messages of more than {} rooms; the other nodes get those "
                            + "of the rooms beyond from history only after their next message", MAX_UNPUBLISHED);
        }
        scheduleRepublish(config.cluster().timeout().toNanos());
    }

    /** An append to the room failed but may have happened: settle the room once the store answers again. */
    private void unsettled(String roomName) {
        if (unsettled.size() < MAX_UNPUBLISHED || unsettled.contains(roomName)) {
            unsettled.add(roomName);
        } else if (unpublishedFull.compareAndSet(false, true)) {
            log.atWarn().addKeyValue("rooms", MAX_UNPUBLISHED)
                    .log("appends to more than {} rooms failed; the other nodes get the messages of the rooms beyond "
                            + "that happened anyway only after their next message", MAX_UNPUBLISHED);
        }
        scheduleRepublish(config.cluster().timeout().toNanos());
    }

    private void scheduleRepublish(long delayNanos) {
        if (!republishPending.compareAndSet(false, true)) {
            return;
        }
        try {
            scheduler().schedule(this::republish, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            republishPending.set(false); // the hub is closing
        }
    }

    /**
     * Publishes again each room's newest message that did not reach the broker, so that the other nodes see
     * the gap and read it from history; every {@code cluster.timeout} until the broker took them all. A node
     * that already has one drops it as a duplicate. Settles the {@link #unsettled} rooms first. On the
     * gap-check thread.
     */
    private void republish() {
        republishPending.set(false);
        try {
            if (storeGuard == null || !storeGuard.isOpen()) {
                for (String roomName : List.copyOf(unsettled)) {
                    settle(roomName);
                }
            }
            if (!broker.isConnected() || (brokerGuard != null && brokerGuard.isOpen())) {
                return;
            }
            for (Map.Entry<String, Envelope> entry : unpublished.entrySet()) {
                String roomName = entry.getKey();
                Envelope envelope = entry.getValue();
                brokerCall(() -> broker.publish(roomChannel(roomName), envelope.encode())).whenComplete((v, e) -> {
                    if (e == null) {
                        unpublished.remove(roomName, envelope);
                    }
                });
            }
        } finally {
            if (unpublished.isEmpty() && unsettled.isEmpty()) {
                unpublishedFull.set(false);
            } else {
                scheduleRepublish(config.cluster().timeout().toNanos());
            }
        }
    }

    /**
     * Reads the newest message of a room where an append failed, which it may be, and has it published to
     * the other nodes; this node's own members get what it missed by a catch-up read. Issued after the
     * failed append on the same store, so the read sees it if it happened.
     */
    private void settle(String roomName) {
        // Removed before the read: an append that fails while the read is under way adds the room again.
        unsettled.remove(roomName);
        storeCall(() -> history.read(roomName, null, 1)).whenComplete((page, e) -> {
            if (e != null) {
                unsettled(roomName); // the next round tries again
                return;
            }
            if (!page.messages().isEmpty()) {
                RoomMessage last = page.messages().get(page.messages().size() - 1);
                rememberUnpublished(roomName, Envelope.roomMessage(nodeId, roomName, page.epoch(), last.offset(),
                        null, codec.encode(last)));
            }
            Room room = rooms.get(roomName);
            if (room != null) {
                synchronized (room) {
                    room.catchUp = true;
                    scheduleGapCheck(room, 0);
                }
            }
        });
    }

    /** Relays a transport frame (binary publish) unchanged to the other members of a room. Shard thread. */
    public void relay(Connection from, String roomName, OutboundFrame frame) throws HubException {
        Membership m = from.rooms.get(roomName);
        if (m == null) {
            throw notInRoom(roomName);
        }
        synchronized (m.room) {
            requireCapacity(m.room);
            fanOutLocked(m.room, frame, from, UNNUMBERED);
        }
    }

    private void publishNotice(String roomName, byte[] json) {
        if (broker.reachesOtherNodes()) {
            quietly("room notice", brokerCall(() -> broker.publish(roomChannel(roomName),
                    Envelope.roomNotice(nodeId, roomName, json).encode())));
        }
    }

    private static void requireCapacity(Room room) throws HubException {
        for (Room.ShardMembers sm : room.shards) {
            if (!sm.shard.hasCapacity()) {
                throw new HubException(ErrorCode.UNAVAILABLE, "server overloaded, retry later");
            }
        }
    }

    /** Frames a payload once and queues one delivery task per shard of the room. Caller holds the monitor. */
    private void fanOutLocked(Room room, byte[] json, Connection exclude, long offset) {
        if (room.shards.length == 0) {
            return;
        }
        OutboundFrame frame = frames.text(json);
        try {
            fanOutLocked(room, frame, exclude, offset);
        } finally {
            frame.release();
        }
    }

    private void fanOutLocked(Room room, OutboundFrame frame, Connection exclude, long offset) {
        for (Room.ShardMembers sm : room.shards) {
            submit(sm.shard, frame, () -> deliverToMembers(sm, frame, exclude, offset));
        }
    }

    /** Runs on the shard: writes the frame to each member of the room that lives there. */
    private void deliverToMembers(Room.ShardMembers sm, OutboundFrame frame, Connection exclude, long offset) {
        int delivered = 0;
        for (Membership m : sm.members) {
            if (m.connection == exclude || (offset != UNNUMBERED && m.deliveredThrough >= offset)) {
                continue;
            }
            if (sm.shard.deliver(m.connection, frame)) {
                delivered++;
            }
        }
        stats.messagesSent.add(delivered);
        recordSent(frame, delivered);
    }

    private void recordSent(OutboundFrame frame, int delivered) {
        if (delivered > 0) {
            metrics.messagesSent(frame.binary() ? HubMetrics.FrameType.BINARY : HubMetrics.FrameType.TEXT, delivered,
                    frame.size());
        }
    }

    /** Queues a delivery on a shard holding a reference to the frame until it ran. Thread-safe. */
    private void submit(Shard shard, OutboundFrame frame, Runnable delivery) {
        if (!shard.tryReserve()) {
            stats.deliveriesDropped.increment();
            metrics.deliveryDropped();
            return;
        }
        frame.retain();
        try {
            shard.execute(() -> {
                try {
                    delivery.run();
                } finally {
                    frame.release();
                }
            });
        } catch (RejectedExecutionException e) {
            frame.release();
        }
    }

    private static HubException notInRoom(String room) {
        return new HubException(ErrorCode.NOT_IN_ROOM, "not in room " + room);
    }

    static String roomChannel(String room) {
        return "room." + room;
    }

    // ---------------------------------------------------------------- private, broadcast

    /**
     * Sends a private message to every connection of {@code to} in the cluster; completes with how many.
     * Fails with {@code user_not_found} when the user has none. Thread-safe.
     */
    public CompletionStage<Integer> sendPrivate(String fromUser, String fromConn, String to, String content,
                                                JsonNode data) throws HubException {
        byte[] json = codec.encode(new ServerMessage.PrivateMessage(fromUser, fromConn, content, data,
                time.currentTimeMillis()));
        if (!broker.reachesOtherNodes()) {
            int n = deliverPrivate(to, json);
            if (n == 0) {
                throw userNotFound(to);
            }
            return CompletableFuture.completedFuture(n);
        }
        return storeCallOrThrow(() -> presence.connections(to)).thenApply(conns -> {
            Set<String> nodes = new HashSet<>();
            for (PresenceStore.UserConnection uc : conns) {
                if (!uc.nodeId().equals(nodeId)) {
                    nodes.add(uc.nodeId());
                }
            }
            int local = deliverPrivate(to, json);
            if (nodes.isEmpty() && local == 0) {
                throw new CompletionException(userNotFound(to));
            }
            byte[] envelope = Envelope.privateMessage(nodeId, to, json).encode();
            for (String node : nodes) {
                quietly("private message", brokerCall(() -> broker.publish("node." + node, envelope)));
            }
            int remote = 0;
            for (PresenceStore.UserConnection uc : conns) {
                remote += uc.nodeId().equals(nodeId) ? 0 : 1;
            }
            return local + remote;
        });
    }

    private static HubException userNotFound(String user) {
        return new HubException(ErrorCode.USER_NOT_FOUND, "user " + user + " is not connected");
    }

    /** Delivers a private message to the user's connections on this node; returns how many. */
    private int deliverPrivate(String to, byte[] json) {
        Connection[] targets = users.get(to);
        if (targets == null) {
            return 0;
        }
        OutboundFrame frame = frames.text(json);
        int n = 0;
        try {
            for (Connection c : targets) {
                n++;
                submit(c.shard(), frame, () -> {
                    if (c.shard().deliver(c, frame)) {
                        stats.messagesSent.increment();
                        recordSent(frame, 1);
                    }
                });
            }
        } finally {
            frame.release();
        }
        return n;
    }

    /** Sends to every connection in the cluster except {@code exclude} (may be null). Thread-safe. */
    public CompletionStage<Void> broadcast(String fromUser, String fromConn, String content, JsonNode data,
                                           Connection exclude) throws HubException {
        return broadcast(encodeBroadcast(fromUser, fromConn, content, data), exclude);
    }

    /** A broadcast as every connection receives it, for callers that check its size first. Thread-safe. */
    public byte[] encodeBroadcast(String fromUser, String fromConn, String content, JsonNode data) {
        return codec.encode(new ServerMessage.Broadcast(fromUser, fromConn, content, data, time.currentTimeMillis()));
    }

    /** Sends an {@linkplain #encodeBroadcast encoded} broadcast to every connection but {@code exclude}. Any thread. */
    public CompletionStage<Void> broadcast(byte[] json, Connection exclude) throws HubException {
        for (Shard s : shards.values()) {
            if (!s.hasCapacity()) {
                throw new HubException(ErrorCode.UNAVAILABLE, "server overloaded, retry later");
            }
        }
        CompletableFuture<Void> remote = broker.reachesOtherNodes()
                ? brokerCallOrThrow(() -> broker.publish(BROADCAST_CHANNEL,
                        Envelope.broadcast(nodeId, exclude == null ? null : exclude.connId(), json).encode()))
                : CompletableFuture.completedFuture(null);
        broadcastFrame(json, exclude, connSequence.get());
        return remote.exceptionally(e -> {
            throw new CompletionException(unavailable("broadcasting to other nodes", e));
        });
    }

    /** Sends to every connection registered up to {@code registeredThrough}, except {@code exclude}. */
    private void broadcastFrame(byte[] json, Connection exclude, long registeredThrough) {
        OutboundFrame frame = frames.text(json);
        try {
            for (Shard s : shards.values()) {
                submit(s, frame, () -> {
                    int delivered = s.deliverToAll(frame, exclude, registeredThrough);
                    stats.messagesSent.add(delivered);
                    recordSent(frame, delivered);
                });
            }
        } finally {
            frame.release();
        }
    }

    /** Runs an action for every shard, e.g. to schedule work on each executor. Thread-safe. */
    public void forEachShard(java.util.function.Consumer<Shard> action) {
        shards.values().forEach(action);
    }

    // ---------------------------------------------------------------- from other nodes

    /** What the broker delivers: other nodes' messages for this node's rooms and users. */
    private final class Inbound implements Broker.Listener {
        @Override
        public void onMessage(String channel, byte[] payload) {
            try {
                Envelope e = Envelope.decode(payload);
                if (e.origin().equals(nodeId)) {
                    return;
                }
                switch (e.kind()) {
                    case ROOM_MESSAGE -> {
                        Room room = rooms.get(e.target());
                        if (room != null) {
                            sequence(room, e.epoch(), e.offset(), e.json(), e.excludeOrNull());
                        }
                    }
                    case ROOM_NOTICE -> {
                        Room room = rooms.get(e.target());
                        if (room != null) {
                            // Parsed once here, outside the monitor, not by every join that reads it.
                            Room.RemoteChange change = remoteChange(room.name, e.json());
                            synchronized (room) {
                                if (!room.removed) {
                                    if (change != null) {
                                        room.heardRemoteChange(change, MAX_REMOTE_NOTICES, oldestRemoteChangeKept());
                                    }
                                    fanOutLocked(room, e.json(), null, UNNUMBERED);
                                }
                            }
                        }
                    }
                    case PRIVATE -> deliverPrivate(e.target(), e.json());
                    case BROADCAST -> broadcastFrame(e.json(), null, connSequence.get());
                    case KICK -> {
                        CloseCode code = CloseCode.of(e.code());
                        disconnectLocalUser(e.target(), code != null ? code : CloseCode.FORBIDDEN,
                                "disconnected by the server");
                    }
                    default -> log.warn("dropped a broker message of kind {} on {}", e.kind(), channel);
                }
            } catch (RuntimeException ex) {
                log.warn("dropped a broker message on {} that could not be handled", channel, ex);
            }
        }

        @Override
        public void onReconnected() {
            log.atInfo().addKeyValue("broker", broker.describe())
                    .log("broker {} is back; reading what {} rooms missed from history", broker.describe(),
                            rooms.size());
            for (Room room : rooms.values()) {
                synchronized (room) {
                    room.catchUp = true;
                    scheduleGapCheck(room, 0);
                }
            }
            if (!unpublished.isEmpty()) {
                scheduleRepublish(0);
            }
        }
    }

    // ---------------------------------------------------------------- presence and queries

    /** The members of a room on every node, sorted. Thread-safe. */
    public CompletionStage<List<Member>> members(String roomName) throws HubException {
        return storeCallOrThrow(() -> presence.members(roomName));
    }

    /** The members of a room that live on this node, sorted; empty when none do. Thread-safe. */
    public List<Member> localMembers(String roomName) {
        Room room = rooms.get(roomName);
        if (room == null) {
            return List.of();
        }
        List<Member> out = new ArrayList<>(room.members.size());
        for (Connection c : room.members.values()) {
            out.add(new Member(c.userId(), c.connId(), presenceInfo(c)));
        }
        out.sort(MEMBER_ORDER);
        return out;
    }

    /**
     * Re-asserts this node's connections and memberships in the presence store, pushing their expiry
     * forward. The server calls it every third of {@code cluster.presenceTtl}. Thread-safe.
     */
    public CompletionStage<Void> refreshPresence() {
        List<PresenceStore.RoomMember> members = new ArrayList<>();
        for (Room room : rooms.values()) {
            for (Connection c : room.members.values()) {
                members.add(new PresenceStore.RoomMember(room.name, c.userId(), c.connId(), presenceInfo(c)));
            }
        }
        List<PresenceStore.UserConnection> conns = new ArrayList<>(connections.size());
        for (Connection c : connections.values()) {
            conns.add(new PresenceStore.UserConnection(c.userId(), c.connId(), nodeId));
        }
        return storeCall(() -> presence.refresh(nodeId, members, conns));
    }

    private JsonNode presenceInfo(Connection c) {
        Map<String, Object> info = c.grants().info();
        return info.isEmpty() ? null : codec.mapper().valueToTree(info);
    }

    /** A room as the backend API shows it. */
    public record RoomInfo(String room, List<Member> members, long offset, String epoch) {
    }

    /** A room's members in the cluster and its history position. Thread-safe. */
    public CompletionStage<RoomInfo> roomInfo(String roomName) throws HubException {
        CompletableFuture<List<Member>> members = storeCallOrThrow(() -> presence.members(roomName));
        return members.thenCompose(ms -> storeCall(() -> history.position(roomName))
                .thenApply(p -> new RoomInfo(roomName, ms, p.offset(), p.epoch())));
    }

    /** Names and member counts of the rooms with members on this node, sorted by name. Thread-safe. */
    public List<RoomSummary> rooms() {
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

    public record RoomSummary(String room, int members) {
    }

    /** Rooms with members (or a join under way) on this node. */
    public int roomCount() {
        return rooms.size();
    }

    /** A page of a room's history; {@code limit} is capped at {@code history.size}. Thread-safe. */
    public CompletionStage<HistoryStore.Page> history(String roomName, Long afterOffset, Integer limit)
            throws HubException {
        int cap = Math.max(1, config.history().size());
        int n = limit == null ? cap : Math.min(limit, cap);
        return storeCallOrThrow(() -> history.read(roomName, afterOffset, n));
    }

    /** Lets the history store forget idle rooms nobody holds. Thread-safe; called periodically. */
    public void sweepHistory() {
        history.sweep(rooms::containsKey);
    }

    // ---------------------------------------------------------------- calls to the backends

    private <T> CompletableFuture<T> storeCall(Supplier<? extends CompletionStage<T>> call) {
        return guarded(storeGuard, call);
    }

    private <T> CompletableFuture<T> brokerCall(Supplier<? extends CompletionStage<T>> call) {
        return guarded(brokerGuard, call);
    }

    private <T> CompletableFuture<T> storeCallOrThrow(Supplier<? extends CompletionStage<T>> call)
            throws HubException {
        return storeGuard == null ? call.get().toCompletableFuture() : storeGuard.call(call);
    }

    private <T> CompletableFuture<T> brokerCallOrThrow(Supplier<? extends CompletionStage<T>> call)
            throws HubException {
        return brokerGuard == null ? call.get().toCompletableFuture() : brokerGuard.call(call);
    }

    /** A guarded call whose refusal is a failed future rather than an exception. */
    private static <T> CompletableFuture<T> guarded(ClusterGuard guard, Supplier<? extends CompletionStage<T>> call) {
        try {
            return guard == null ? call.get().toCompletableFuture() : guard.call(call);
        } catch (HubException e) {
            return CompletableFuture.failedFuture(e);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Logs the failure of a call nobody waits for. */
    private static void quietly(String what, CompletableFuture<?> call) {
        if (call.isDone() && !call.isCompletedExceptionally()) {
            return;
        }
        call.whenComplete((v, e) -> {
            if (e != null) {
                log.debug("{} failed: {}", what, Failures.rootCause(e).toString());
            }
        });
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

    /** The error a failed call means for a client: its own {@link HubException}, or {@code unavailable}. */
    private static HubException hubError(CompletableFuture<?> failed) {
        try {
            failed.join();
            throw new IllegalStateException("not failed");
        } catch (CompletionException e) {
            return unavailable("the cluster backend", e);
        }
    }

    /** Maps a failure to what a client gets: a HubException as is, anything else as {@code unavailable}. */
    public static HubException unavailable(String what, Throwable error) {
        Throwable cause = Failures.rootCause(error);
        if (cause instanceof HubException h) {
            return h;
        }
        String why = cause instanceof TimeoutException ? "timed out" : "failed";
        log.atDebug().log("{} {}: {}", what, why, cause.toString());
        return new HubException(ErrorCode.UNAVAILABLE, what + " " + why + ", retry later");
    }
}
