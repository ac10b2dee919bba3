package io.switchboard.core;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.config.SwitchboardConfig;
import io.switchboard.core.history.HistoryStore;
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
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection registry and message router of one node: rooms with offsets and recovery, private
 * messages, broadcasts, presence. Thread-safe; methods that take a {@link Connection} run on that
 * connection's shard (see the package documentation for the threading model).
 *
 * <p>Every message is encoded once and framed once whatever the number of recipients: the frame is
 * handed to one task per shard, which writes it to that shard's members.
 */
public final class Hub {
    private static final Logger log = LoggerFactory.getLogger(Hub.class);
    private static final Comparator<Member> MEMBER_ORDER =
            Comparator.comparing(Member::userId).thenComparing(Member::connId);
    /** Offset of frames outside a room's numbered history (notices, binary relays). */
    private static final long UNNUMBERED = -1;

    private final SwitchboardConfig config;
    private final HistoryStore history;
    private final FrameFactory frames;
    private final JsonCodec codec;
    private final TimeSource time;
    private final String nodeId;
    private final ServerMessage.ServerInfo serverInfo;
    private final HubStats stats = new HubStats();
    private final HubMetrics metrics;
    private final AtomicLong connSequence = new AtomicLong();
    private final ConcurrentHashMap<Executor, Shard> shards = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Connection> connections = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Set<Connection>> users = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Room> rooms = new ConcurrentHashMap<>();

    public Hub(SwitchboardConfig config, HistoryStore history, FrameFactory frames, JsonCodec codec, TimeSource time,
               String nodeId, String version) {
        this(config, history, frames, codec, time, nodeId, version, HubMetrics.NOOP);
    }

    public Hub(SwitchboardConfig config, HistoryStore history, FrameFactory frames, JsonCodec codec, TimeSource time,
               String nodeId, String version, HubMetrics metrics) {
        this.metrics = metrics;
        this.config = config;
        this.history = history;
        this.frames = frames;
        this.codec = codec;
        this.time = time;
        this.nodeId = nodeId;
        this.serverInfo = new ServerMessage.ServerInfo(version, nodeId,
                config.websocket().pingInterval().toMillis(), config.websocket().maxMessageBytes());
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

    /** The shard of an executor, created on first use. */
    public Shard shard(Executor executor) {
        return shards.computeIfAbsent(executor, e -> new Shard(e, config.hub().maxPendingFanouts(), this));
    }

    // ---------------------------------------------------------------- connections

    /** Registers a new connection and sends its {@code welcome}. Shard thread. */
    public Connection register(Session session, String userId, Shard shard) {
        long sequence = connSequence.incrementAndGet();
        String connId = "c-" + nodeId + "-" + Long.toString(sequence, 36);
        Connection c = new Connection(connId, userId, session, shard, time.currentTimeMillis(), time.nanoTime(),
                sequence);
        connections.put(connId, c);
        users.compute(userId, (k, set) -> {
            Set<Connection> s = set != null ? set : ConcurrentHashMap.newKeySet();
            s.add(c);
            return s;
        });
        shard.add(c);
        stats.connectionsTotal.increment();
        metrics.connectionOpened();
        send(c, new ServerMessage.Welcome(connId, userId, ServerMessage.Welcome.GREETING, serverInfo));
        if (config.hub().notifyGlobalPresence()) {
            // Only to those connected before: a later connection would hear of someone who was already there.
            broadcastFrame(codec.encode(new ServerMessage.UserJoined(userId, connId)), c, sequence - 1);
        }
        log.atDebug().addKeyValue("connId", connId).addKeyValue("userId", userId)
                .addKeyValue("remote", session.remoteAddress())
                .log("connected {} user={} from {}", connId, userId, session.remoteAddress());
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
        users.computeIfPresent(c.userId(), (k, set) -> {
            set.remove(c);
            return set.isEmpty() ? null : set;
        });
        connections.remove(c.connId());
        c.shard().remove(c);
        if (config.hub().notifyGlobalPresence()) {
            broadcastFrame(codec.encode(new ServerMessage.UserLeft(c.userId(), c.connId())), c, connSequence.get());
        }
        log.atDebug().addKeyValue("connId", c.connId()).addKeyValue("userId", c.userId())
                .addKeyValue("reason", reason.label())
                .log("disconnected {} user={} reason={}", c.connId(), c.userId(), reason.label());
    }

    /** Closes a connection with a code and removes it at once. Shard thread. */
    public void close(Connection c, CloseCode code, String reason, DisconnectReason why) {
        log.atInfo().addKeyValue("connId", c.connId()).addKeyValue("userId", c.userId())
                .addKeyValue("remote", c.session().remoteAddress()).addKeyValue("closeCode", code.code())
                .log("closing {} user={} from {}: {} {}", c.connId(), c.userId(), c.session().remoteAddress(),
                        code.code(), reason);
        c.session().close(code, reason);
        disconnect(c, why);
    }

    /** Sends one message to one connection. Thread-safe. */
    public void send(Connection c, ServerMessage message) {
        byte[] json = codec.encode(message);
        c.session().sendText(json);
        stats.messagesSent.increment();
        metrics.messagesSent(HubMetrics.FrameType.TEXT, 1, json.length);
    }

    public Collection<Connection> connections() {
        return connections.values();
    }

    public int connectionCount() {
        return connections.size();
    }

    /** Closes every connection of a user; returns how many. Thread-safe. */
    public int disconnectUser(String userId, CloseCode code, String reason) {
        Set<Connection> set = users.get(userId);
        if (set == null) {
            return 0;
        }
        int n = 0;
        for (Connection c : set) {
            n++;
            // Through close(), on the connection's shard: it leaves its rooms now, not when the peer answers.
            try {
                c.shard().executor().execute(() -> {
                    if (!c.removed) {
                        close(c, code, reason, DisconnectReason.KICKED);
                    }
                });
            } catch (RejectedExecutionException e) {
                c.session().close(code, reason);
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- rooms

    /** The outcome of a join: who is in the room, where its history stands, and what to replay first. */
    public record JoinResult(String room, List<Member> members, HistoryStore.Position position, Boolean recovered,
                             List<RoomMessage> replay) {
    }

    /**
     * Joins a room, creating it. With {@code since}, the result carries the messages to replay before
     * anything newer: deliveries of older offsets still queued skip this member. Shard thread.
     */
    public JoinResult join(Connection c, String roomName, Since since) throws HubException {
        Membership existing = c.rooms.get(roomName);
        if (existing != null) {
            synchronized (existing.room) {
                return new JoinResult(roomName, membersOf(existing.room), now(history.position(roomName)), null, List.of());
            }
        }
        int maxRooms = config.websocket().maxRoomsPerConnection();
        if (c.rooms.size() >= maxRooms) {
            throw new HubException(ErrorCode.TOO_MANY_ROOMS, "already in " + maxRooms + " rooms, the maximum");
        }
        while (true) {
            Room room = rooms.computeIfAbsent(roomName, Room::new);
            synchronized (room) {
                if (room.removed) {
                    continue;
                }
                if (room.members.size() >= config.hub().maxRoomMembers()) {
                    throw new HubException(ErrorCode.ROOM_FULL, "room " + roomName + " is full");
                }
                HistoryStore.Recovery recovery = since == null ? null
                        : now(history.recover(roomName, since.offset(), since.epoch()));
                HistoryStore.Position position = recovery != null ? recovery.position() : now(history.position(roomName));
                Membership m = new Membership(c, room, position.offset());
                room.shardMembers(c.shard()).add(m);
                room.members.put(c.connId(), c);
                c.rooms.put(roomName, m);
                metrics.roomJoined(room.members.size());
                fanOutLocked(room, codec.encode(new ServerMessage.UserJoinedRoom(roomName, c.userId(), c.connId())),
                        c, UNNUMBERED);
                return new JoinResult(roomName, membersOf(room), position,
                        recovery == null ? null : recovery.recovered(),
                        recovery == null ? List.of() : recovery.messages());
            }
        }
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
        synchronized (room) {
            Room.ShardMembers sm = room.shardMembers(c.shard());
            sm.remove(m);
            room.dropIfEmpty(sm);
            room.members.remove(c.connId());
            if (room.members.isEmpty()) {
                room.removed = true;
                rooms.remove(room.name, room);
            } else {
                fanOutLocked(room, codec.encode(new ServerMessage.UserLeftRoom(room.name, c.userId(), c.connId())),
                        null, UNNUMBERED);
            }
        }
    }

    /**
     * Publishes a client's message to a room it joined; returns its offset. The sender does not receive
     * it unless {@code echo}. Shard thread.
     */
    public long publish(Connection from, String roomName, String content, JsonNode data, boolean echo)
            throws HubException {
        Membership m = from.rooms.get(roomName);
        if (m == null) {
            throw notInRoom(roomName);
        }
        synchronized (m.room) {
            return publishLocked(m.room, from.userId(), from.connId(), content, data, echo ? null : from);
        }
    }

    /** Publishes a message from the backend API to a room, joined or not; returns its offset. Thread-safe. */
    public long publish(String roomName, String from, String content, JsonNode data) throws HubException {
        return withRoom(roomName, room -> publishLocked(room, from, null, content, data, null));
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

    private long publishLocked(Room room, String fromUser, String fromConn, String content, JsonNode data,
                               Connection exclude) throws HubException {
        requireCapacity(room);
        RoomMessage message = now(history.append(room.name, fromUser, fromConn, content, data, time.currentTimeMillis()));
        fanOutLocked(room, codec.encode(message), exclude, message.offset());
        return message.offset();
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

    /** Runs {@code action} under the monitor of a room that exists meanwhile; removes it again if empty. */
    private <T> T withRoom(String roomName, RoomAction<T> action) throws HubException {
        while (true) {
            Room room = rooms.computeIfAbsent(roomName, Room::new);
            synchronized (room) {
                if (room.removed) {
                    continue;
                }
                try {
                    return action.apply(room);
                } finally {
                    if (room.members.isEmpty()) {
                        room.removed = true;
                        rooms.remove(roomName, room);
                    }
                }
            }
        }
    }

    @FunctionalInterface
    private interface RoomAction<T> {
        T apply(Room room) throws HubException;
    }

    private static HubException notInRoom(String room) {
        return new HubException(ErrorCode.NOT_IN_ROOM, "not in room " + room);
    }

    // ---------------------------------------------------------------- private, broadcast

    /** Sends a private message to every connection of {@code to}; returns how many. Thread-safe. */
    public int sendPrivate(String fromUser, String fromConn, String to, String content, JsonNode data)
            throws HubException {
        Set<Connection> targets = users.get(to);
        if (targets == null || targets.isEmpty()) {
            throw new HubException(ErrorCode.USER_NOT_FOUND, "user " + to + " is not connected");
        }
        byte[] json = codec.encode(new ServerMessage.PrivateMessage(fromUser, fromConn, content, data,
                time.currentTimeMillis()));
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

    /** Sends to every connection except {@code exclude} (may be null). Thread-safe. */
    public void broadcast(String fromUser, String fromConn, String content, JsonNode data, Connection exclude)
            throws HubException {
        for (Shard s : shards.values()) {
            if (!s.hasCapacity()) {
                throw new HubException(ErrorCode.UNAVAILABLE, "server overloaded, retry later");
            }
        }
        broadcastFrame(codec.encode(new ServerMessage.Broadcast(fromUser, fromConn, content, data,
                time.currentTimeMillis())), exclude, connSequence.get());
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

    // ---------------------------------------------------------------- queries

    /** Members of a room, sorted; empty when the room does not exist. Thread-safe. */
    public List<Member> members(String roomName) {
        Room room = rooms.get(roomName);
        return room == null ? List.of() : membersOf(room);
    }

    private static List<Member> membersOf(Room room) {
        List<Member> out = new ArrayList<>(room.members.size());
        for (Connection c : room.members.values()) {
            out.add(new Member(c.userId(), c.connId()));
        }
        out.sort(MEMBER_ORDER);
        return out;
    }

    /** A room as the backend API shows it. */
    public record RoomInfo(String room, List<Member> members, long offset, String epoch) {
    }

    /** A room's members and history position; members are empty for a room nobody joined. Thread-safe. */
    public RoomInfo roomInfo(String roomName) {
        return withRoomUnchecked(roomName, room -> {
            HistoryStore.Position p = now(history.position(roomName));
            return new RoomInfo(roomName, membersOf(room), p.offset(), p.epoch());
        });
    }

    private <T> T withRoomUnchecked(String roomName, Function<Room, T> fn) {
        try {
            return withRoom(roomName, fn::apply);
        } catch (HubException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Names and member counts of the current rooms, sorted by name. Thread-safe. */
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

    /**
     * Rooms that exist now. A room nobody joined exists only for the instant a backend publish or a
     * history read holds it, so this is the count of joined rooms for every practical purpose.
     */
    public int roomCount() {
        return rooms.size();
    }

    /** A page of a room's history; {@code limit} is capped at {@code history.size}. Thread-safe. */
    public HistoryStore.Page history(String roomName, Long afterOffset, Integer limit) {
        int cap = Math.max(1, config.history().size());
        int n = limit == null ? cap : Math.min(limit, cap);
        return withRoomUnchecked(roomName, room -> now(history.read(roomName, afterOffset, n)));
    }

    /** Lets the history store forget idle rooms nobody holds. Thread-safe; called periodically. */
    public void sweepHistory() {
        history.sweep(rooms::containsKey);
    }

    private static <T> T now(java.util.concurrent.CompletionStage<T> stage) {
        return stage.toCompletableFuture().join();
    }
}
