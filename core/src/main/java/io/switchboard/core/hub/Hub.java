package io.switchboard.core.hub;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.DisconnectReason;
import io.switchboard.core.HubException;
import io.switchboard.core.TimeSource;
import io.switchboard.core.broker.Broker;
import io.switchboard.core.broker.Envelope;
import io.switchboard.core.broker.ForwardedCommands;
import io.switchboard.core.broker.MemoryBroker;
import io.switchboard.core.config.CoreConfig;
import io.switchboard.core.guard.ClusterGuard;
import io.switchboard.core.history.HistoryStore;
import io.switchboard.core.hooks.LifecycleHooks;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.core.policy.RoomPolicies;
import io.switchboard.core.policy.RoomPolicy;
import io.switchboard.core.presence.MemoryPresenceStore;
import io.switchboard.core.presence.PresenceStore;
import io.switchboard.core.transport.FrameFactory;
import io.switchboard.core.transport.OutboundFrame;
import io.switchboard.core.transport.Session;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.ErrorCode;
import io.switchboard.protocol.Command.Since;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ServerMessage;
import io.switchboard.protocol.ServerMessage.Member;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
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
    private static final long UNNUMBERED = FanOut.UNNUMBERED;
    static final String BROADCAST_CHANNEL = DirectMessages.BROADCAST_CHANNEL;

    /** The stores and broker a hub works with, and the guards in front of the remote ones. */
    public record Backends(HistoryStore history, Broker broker, PresenceStore presence, ClusterGuard brokerGuard,
                           ClusterGuard storeGuard) {
        /** Everything in this process: today's single node. */
        public static Backends memory(HistoryStore history) {
            return new Backends(history, new MemoryBroker(), new MemoryPresenceStore(), null, null);
        }
    }

    private final CoreConfig config;
    private final HistoryStore history;
    private final Broker broker;
    private final PresenceStore presence;
    private final ClusterGuard brokerGuard;
    private final ClusterGuard storeGuard;
    private final FrameFactory frames;
    private final JsonCodec codec;
    private final TimeSource time;
    private final String nodeId;
    private final String nodeChannel;
    /** Takes other nodes' HTTP streaming commands for this node's sessions; set once the transport exists. */
    private volatile ForwardedCommands forwarded = ForwardedCommands.NONE;
    private final ServerMessage.ServerInfo serverInfo;
    private final HubStats stats = new HubStats();
    private final HubMetrics metrics;
    private final ConcurrentHashMap<Executor, Shard> shards = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Room> rooms = new ConcurrentHashMap<>();
    private final HubScheduler scheduler;
    private final BackendCalls calls;
    private final ConnectionRegistry connections;
    private final FanOut fanOut;
    private final RoomSequencer sequencer;
    private final Republisher republisher;
    private final DirectMessages direct;
    private final SharedRooms sharedRooms;
    private final Joins joins;
    private final PresenceDiffs diffs;
    private final RoomPublisher publisher;
    private final Queries queries;
    private final ServerSubscriptions subscriptions;
    private final HubContext ctx;
    private final LostNodes lostNodes;
    /** Makes {@link #close} retire the node once. */
    private final BackendsClosing closing;

    public Hub(CoreConfig config, HistoryStore history, FrameFactory frames, JsonCodec codec, TimeSource time,
               String nodeId, String version) {
        this(config, history, frames, codec, time, nodeId, version, HubMetrics.NOOP);
    }

    public Hub(CoreConfig config, HistoryStore history, FrameFactory frames, JsonCodec codec, TimeSource time,
               String nodeId, String version, HubMetrics metrics) {
        this(config, Backends.memory(history), frames, codec, time, nodeId, version, metrics);
    }

    public Hub(CoreConfig config, Backends backends, FrameFactory frames, JsonCodec codec, TimeSource time,
               String nodeId, String version, HubMetrics metrics) {
        this(config, backends, frames, codec, time, nodeId, version, metrics, null);
    }

    /**
     * @param timer runs gap checks, tail checks and republishing, in the time of {@code time} (tests hand in
     *              one whose time they drive); null: the hub starts its own thread on first use and stops it
     *              in {@link #close}. A given timer is left to its owner.
     */
    public Hub(CoreConfig config, Backends backends, FrameFactory frames, JsonCodec codec, TimeSource time,
               String nodeId, String version, HubMetrics metrics, ScheduledExecutorService timer) {
        this(config, backends, frames, codec, time, nodeId, version, metrics, timer, LifecycleHooks.NONE);
    }

    /** @param hooks where connections and rooms coming and going are reported ({@link LifecycleHooks#NONE}: nowhere) */
    public Hub(CoreConfig config, Backends backends, FrameFactory frames, JsonCodec codec, TimeSource time,
               String nodeId, String version, HubMetrics metrics, ScheduledExecutorService timer,
               LifecycleHooks hooks) {
        this.scheduler = new HubScheduler(timer);
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
        this.nodeChannel = Envelope.nodeChannel(nodeId);
        this.serverInfo = new ServerMessage.ServerInfo(version, nodeId,
                config.websocket().pingInterval().toMillis(), config.websocket().maxMessageBytes());
        this.calls = new BackendCalls(storeGuard, brokerGuard);
        this.ctx = new HubContext(config, codec, time, nodeId, metrics, stats, history, broker, presence, calls,
                scheduler, new HookEmitter(hooks, time, nodeId), new RoomPolicies(config),
                new Throttle(config.hub().throttles(), config.hub().maxPendingFanouts(), metrics));
        this.connections = new ConnectionRegistry(ctx, this::closeOnShard);
        this.fanOut = new FanOut(frames, stats, metrics);
        this.sequencer = new RoomSequencer(ctx, fanOut, rooms, connections::get,
                this::closeOnShard);
        this.republisher = new Republisher(ctx, rooms, sequencer);
        this.publisher = new RoomPublisher(ctx, rooms, sequencer, republisher);
        this.diffs = new PresenceDiffs(ctx, fanOut);
        this.joins = new Joins(ctx, rooms, sequencer, fanOut, diffs);
        this.queries = new Queries(ctx, rooms);
        this.direct = new DirectMessages(ctx, frames, fanOut, connections, shards.values());
        this.sharedRooms = new SharedRooms(ctx, rooms, connections);
        this.subscriptions = new ServerSubscriptions(ctx, connections, joins, this::send);
        this.lostNodes = new LostNodes(ctx, config.cluster().presenceTtl());
        this.closing = new BackendsClosing(ctx);
    }

    /**
     * Connects to the broker and subscribes to the broadcast channel and this node's own channel;
     * completes when messages from other nodes flow. Immediate with the in-memory broker.
     */
    public CompletionStage<Void> start() {
        return broker.start(new ClusterInbound(ctx, rooms, sequencer, republisher, fanOut, direct,
                connections::closeUser, subscriptions, diffs, () -> forwarded))
                .thenCompose(v -> broker.subscribe(BROADCAST_CHANNEL))
                .thenCompose(v -> broker.subscribe(nodeChannel));
    }

    /**
     * Stops the gap checks and closes the broker and stores. Idempotent. Call it once the connections are gone:
     * it first retires this node from presence (waiting up to {@code cluster.timeout}), so that no other node
     * reports connections this one closed itself as lost.
     */
    public void close() {
        closing.close();
    }

    public CoreConfig config() {
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

    /** Hands other nodes' HTTP streaming commands for this node's sessions, and their answers, to {@code handler}. */
    public void forwardedCommands(ForwardedCommands handler) {
        this.forwarded = handler;
    }

    /**
     * Publishes {@code envelope} on node {@code node}'s own channel, through the broker's guard; fails when the
     * broker refuses or is cut off. Thread-safe.
     */
    public CompletableFuture<Void> forwardTo(String node, Envelope envelope) {
        byte[] bytes = envelope.encode();
        return calls.broker(() -> broker.publish(Envelope.nodeChannel(node), bytes));
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
        return shards.computeIfAbsent(executor, e -> new Shard(e, config.hub().maxPendingFanouts(), ctx, this::close));
    }

    // ---------------------------------------------------------------- connections

    /** Registers a new connection and sends its {@code welcome}. Shard thread. */
    public Connection register(Session session, String userId, Shard shard) {
        return register(session, userId, shard, true);
    }

    /**
     * Registers a new connection, with its {@code welcome} unless {@code welcome} is false: a transport whose
     * messages go to an embedding hook instead of the command handler speaks its own protocol. Shard thread.
     */
    public Connection register(Session session, String userId, Shard shard, boolean welcome) {
        Connection c = connections.add(session, userId, shard);
        String connId = c.connId();
        stats.connectionsTotal.increment();
        metrics.connectionOpened();
        BackendCalls.quietly("presence connect", calls.store(() -> presence.connect(userId, connId, nodeId)));
        ctx.hooks().connected(c);
        if (welcome) {
            send(c, new ServerMessage.Welcome(connId, userId, ServerMessage.Welcome.GREETING, serverInfo));
        }
        if (config.hub().notifyGlobalPresence()) {
            // Only to those connected before: a later connection would hear of someone who was already there.
            direct.broadcastFrame(codec.encode(new ServerMessage.UserJoined(userId, connId)), c, c.sequence() - 1);
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
        for (Membership m : c.rooms) {
            joins.removeMembership(m, reason.label());
        }
        c.rooms.clear();
        connections.remove(c);
        BackendCalls.quietly("presence disconnect",
                calls.store(() -> presence.disconnect(c.userId(), nodeId, c.connId())));
        ctx.hooks().disconnected(c, reason.label());
        if (config.hub().notifyGlobalPresence()) {
            direct.broadcastFrame(codec.encode(new ServerMessage.UserLeft(c.userId(), c.connId())), c,
                    connections.lastSequence());
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
        fanOut.recordSent(false, 1, json.length);
        c.session().sendText(json);
    }

    /** Sends one message to one connection. Thread-safe. */
    public void send(Connection c, ServerMessage message) {
        sendEncoded(c, codec.encode(message));
    }

    public Collection<Connection> connections() {
        return connections.all();
    }

    public int connectionCount() {
        return connections.count();
    }

    /**
     * Closes every connection of a user on this node, and asks the other nodes to do the same; returns
     * how many this node closed. Thread-safe.
     */
    public int disconnectUser(String userId, CloseCode code, String reason) {
        if (broker.reachesOtherNodes()) {
            BackendCalls.quietly("kick", calls.broker(() -> broker.publish(BROADCAST_CHANNEL,
                    Envelope.kick(nodeId, userId, code.code()).encode())));
        }
        return connections.closeUser(userId, code, reason);
    }

    /**
     * Joins every connection of a user to a room, as the backend decided: on this node at once, and on the
     * others through the broker. Each connection gets {@code room_joined} with {@code "server":true}; one already
     * in the room gets nothing. Returns how many connections this node has for the user. Thread-safe.
     */
    public int subscribeUser(String userId, String roomName) {
        return subscriptions.subscribeEverywhere(userId, roomName, true);
    }

    /** Takes every connection of a user out of a room, cluster-wide, as {@link #subscribeUser} joins. Thread-safe. */
    public int unsubscribeUser(String userId, String roomName) {
        return subscriptions.subscribeEverywhere(userId, roomName, false);
    }

    // ---------------------------------------------------------------- rooms: joining and leaving

    /**
     * Joins a room, creating it. With {@code since}, the result carries the messages to replay before
     * anything newer: deliveries of older offsets still queued skip this member. The callback runs on the
     * connection's shard, before any delivery to the new member; with in-memory stores, before this
     * method returns. Shard thread.
     *
     * @throws HubException when the join is refused at once (too many rooms, room full)
     */
    public void join(Connection c, String roomName, Since since, JoinCallback callback) throws HubException {
        joins.join(c, roomName, since, callback);
    }

    /** Leaves a room; the last member out removes it. Shard thread. */
    public void leave(Connection c, String roomName) throws HubException {
        joins.leave(c, roomName);
    }

    // ---------------------------------------------------------------- rooms: publishing

    /**
     * Publishes a client's message to a room it joined; completes with its offset. The sender does not
     * receive it unless {@code echo}. With in-memory stores, completes before returning. Shard thread.
     */
    public CompletionStage<Long> publish(Connection from, String roomName, String content, JsonNode data,
                                         boolean echo) throws HubException {
        return publish(from, roomName, content, data, echo, null);
    }

    /**
     * As the other, once per {@code idempotencyKey} (null for none) and room within
     * {@code history.idempotencyWindow}: a repeat is neither stored nor delivered and completes with the first
     * one's offset. Shard thread.
     */
    public CompletionStage<Long> publish(Connection from, String roomName, String content, JsonNode data,
                                         boolean echo, String idempotencyKey) throws HubException {
        Membership m = from.rooms.get(roomName);
        if (m == null) {
            throw HubException.notInRoom(roomName);
        }
        mayPublish(m.room);
        CompletionStage<Long> offset = publisher.publish(roomName, m.room, from.userId(), from.connId(), content,
                data, echo ? null : from.connId(), idempotencyKey);
        ctx.hooks().published(from, roomName);
        ctx.throttle().published(from, m.room);
        return offset;
    }

    /** A client may publish unless the room's namespace leaves publishing to the backend. */
    private static void mayPublish(Room room) throws HubException {
        RoomPolicy policy = room.policy;
        if (!policy.clientPublish()) {
            throw new HubException(ErrorCode.FORBIDDEN, "room " + room.name + " takes messages from the backend only ("
                    + policy.key("clientPublish") + ": false)");
        }
    }

    /** Publishes a message from the backend API to a room, joined or not; completes with its offset. Thread-safe. */
    public CompletionStage<Long> publish(String roomName, String from, String content, JsonNode data)
            throws HubException {
        return publish(roomName, from, content, data, null);
    }

    /** As the other, once per {@code idempotencyKey} (null for none) and room; see the client's publish. */
    public CompletionStage<Long> publish(String roomName, String from, String content, JsonNode data,
                                         String idempotencyKey) throws HubException {
        Room room = rooms.get(roomName);
        ctx.throttle().admit(room);
        return publisher.publish(roomName, room, from, null, content, data, null, idempotencyKey);
    }

    /** Connections whose reads are paused under {@code hub.overloadPolicy: throttle}. Thread-safe. */
    public int pausedPublishers() {
        return ctx.throttle().pausedPublishers();
    }

    /** Relays a transport frame (binary publish) unchanged to the other members of a room. Shard thread. */
    public void relay(Connection from, String roomName, OutboundFrame frame) throws HubException {
        Membership m = from.rooms.get(roomName);
        if (m == null) {
            throw HubException.notInRoom(roomName);
        }
        mayPublish(m.room);
        synchronized (m.room) {
            FanOut.requireCapacity(m.room);
            fanOut.fanOutLocked(m.room, frame, from, UNNUMBERED);
        }
        ctx.throttle().published(from, m.room);
    }

    // ---------------------------------------------------------------- private, broadcast

    /**
     * Sends a private message to every connection of {@code to} in the cluster; completes with how many.
     * Fails with {@code user_not_found} when the user has none. Thread-safe.
     */
    public CompletionStage<Integer> sendPrivate(String fromUser, String fromConn, String to, String content,
                                                JsonNode data) throws HubException {
        return direct.sendPrivate(fromUser, fromConn, to, content, data);
    }

    /**
     * As {@link #sendPrivate}, only when {@code to} shares a room with {@code from} (see {@link SharedRooms} for
     * the rule); fails with {@code forbidden} otherwise, also when {@code to} is not connected, so that the
     * answer does not tell a stranger who is online. Shard thread of {@code from}.
     */
    public CompletionStage<Integer> sendPrivateToRoommate(Connection from, String to, String content,
                                                          JsonNode data) throws HubException {
        return sharedRooms.share(from, to).thenCompose(shared -> {
            if (!shared) {
                throw new CompletionException(new HubException(ErrorCode.FORBIDDEN, "user " + to
                        + " shares no room with this connection (security.privateMessages: sharedRoom)"));
            }
            try {
                return direct.sendPrivate(from.userId(), from.connId(), to, content, data);
            } catch (HubException e) {
                throw new CompletionException(e);
            }
        });
    }

    /** Sends to every connection in the cluster except {@code exclude} (may be null). Thread-safe. */
    public CompletionStage<Void> broadcast(String fromUser, String fromConn, String content, JsonNode data,
                                           Connection exclude) throws HubException {
        return direct.broadcast(direct.encodeBroadcast(fromUser, fromConn, content, data), exclude);
    }

    /** A broadcast as every connection receives it, for callers that check its size first. Thread-safe. */
    public byte[] encodeBroadcast(String fromUser, String fromConn, String content, JsonNode data) {
        return direct.encodeBroadcast(fromUser, fromConn, content, data);
    }

    /** Sends an {@linkplain #encodeBroadcast encoded} broadcast to every connection but {@code exclude}. Any thread. */
    public CompletionStage<Void> broadcast(byte[] json, Connection exclude) throws HubException {
        return direct.broadcast(json, exclude);
    }

    /** Runs an action for every shard, e.g. to schedule work on each executor. Thread-safe. */
    public void forEachShard(java.util.function.Consumer<Shard> action) {
        shards.values().forEach(action);
    }

    // ---------------------------------------------------------------- presence and queries

    /** The members of a room on every node, sorted. Thread-safe. */
    public CompletionStage<List<Member>> members(String roomName) throws HubException {
        return queries.members(roomName);
    }

    /** The members of a room that live on this node, sorted; empty when none do. Thread-safe. */
    public List<Member> localMembers(String roomName) {
        return queries.localMembers(roomName);
    }

    /**
     * Re-asserts this node's connections and memberships in the presence store, pushing their expiry
     * forward. The server calls it every third of {@code cluster.presenceTtl}. Thread-safe.
     */
    public CompletionStage<Void> refreshPresence() {
        return queries.refreshPresence(connections.all());
    }

    /**
     * Finds nodes that stopped refreshing their presence for {@code cluster.presenceTtl}, and reports each one's
     * connections as left and disconnected with reason {@code node_lost} (from this node only: the store hands
     * each lost node to one survivor). The server calls it with {@link #refreshPresence}. Completes with how many
     * lost nodes it handled. Thread-safe; never blocks.
     */
    public CompletionStage<Integer> sweepLostNodes() {
        return lostNodes.sweep();
    }

    /** A room's members in the cluster and its history position. Thread-safe. */
    public CompletionStage<RoomInfo> roomInfo(String roomName) throws HubException {
        return queries.roomInfo(roomName);
    }

    /**
     * One page of a room's members, cluster-wide, in member order: those after {@code after} (a
     * {@link PresenceStore#orderKey}; null from the first), at most {@code limit}, and the room's count.
     * Thread-safe.
     */
    public CompletionStage<PresenceStore.MemberPage> membersPage(String roomName, String after, int limit)
            throws HubException {
        return queries.page(roomName, after, limit);
    }

    /** The options of the room's namespace. Thread-safe. */
    public RoomPolicy policy(String roomName) {
        return ctx.policies().of(roomName);
    }

    /** Names and member counts of the rooms with members on this node, sorted by name. Thread-safe. */
    public List<RoomSummary> rooms() {
        return queries.rooms();
    }

    /** Rooms with members (or a join under way) on this node. */
    public int roomCount() {
        return rooms.size();
    }

    /** A page of a room's history; {@code limit} is capped at {@code history.size}. Thread-safe. */
    public CompletionStage<HistoryStore.Page> history(String roomName, Long afterOffset, Integer limit)
            throws HubException {
        return queries.history(roomName, afterOffset, limit);
    }

    /** Lets the history store forget idle rooms nobody holds. Thread-safe; called periodically. */
    public void sweepHistory() {
        history.sweep(rooms::containsKey);
    }

    /** Maps a failure to what a client gets: a HubException as is, anything else as {@code unavailable}. */
    public static HubException unavailable(String what, Throwable error) {
        return BackendCalls.unavailable(what, error);
    }
}
