package io.switchboard.redis;

import static io.switchboard.redis.PresenceScripts.ANY;
import static io.switchboard.redis.PresenceScripts.LIST;
import static io.switchboard.redis.PresenceScripts.ROOM_JOIN;
import static io.switchboard.redis.PresenceScripts.ROOM_LEAVE;
import static io.switchboard.redis.PresenceScripts.ROOM_LIST;
import static io.switchboard.redis.PresenceScripts.ROOM_PAGE;
import static io.switchboard.redis.PresenceScripts.ROOM_REFRESH;
import static io.switchboard.redis.PresenceScripts.SCRIPTS;
import static io.switchboard.redis.PresenceScripts.USERS_UPSERT;
import static io.switchboard.redis.PresenceScripts.USER_CONNECT;
import static io.switchboard.redis.PresenceScripts.USER_DISCONNECT;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.switchboard.core.presence.PresenceStore;
import io.switchboard.protocol.ServerMessage.Member;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Presence shared by the nodes of a cluster, kept in Redis with a TTL per entry. Thread-safe; every
 * call is asynchronous and each key pair is changed atomically by a Lua script.
 *
 * <p>Keys, each pair in one Cluster slot (hash tag {@code {room}} or {@code {user}}):
 * <ul>
 *   <li>{@code <prefix>presence:room:{room}:exp}, a sorted set connId → expiry (Redis time, ms), and
 *       {@code <prefix>presence:room:{room}:members}, a hash connId → {@code {"userId","node","info"}}, and
 *       {@code <prefix>presence:room:{room}:order}, a sorted set of {@code userId NUL connId} at score 0 that
 *       {@link #page} reads by range, so a page of a 100,000-member room moves only the page, and
 *       {@code <prefix>presence:room:{room}:occupied}, set while the room counts as occupied;
 *   <li>{@code <prefix>presence:user:{user}:exp}, a sorted set connId → expiry, and
 *       {@code <prefix>presence:user:{user}:nodes}, a hash connId → node id;
 *   <li>{@code <prefix>presence:node:{node}:members}, a hash {@code connId NUL room} → userId, and
 *       {@code <prefix>presence:node:{node}:conns}, a hash connId → userId: what the node holds, so that a survivor
 *       can report it once the node is lost (they outlive the node's last write by three TTLs), and
 *       {@code <prefix>presence:node:{node}:refreshed}, set by each refresh: the indexes are whole (see
 *       {@link PresenceScripts#ROOM_REFRESH});
 *   <li>{@code <prefix>presence:nodes}, a sorted set node id → until when it counts as live, pushed forward by each
 *       connect and refresh, and {@code <prefix>presence:lost}, a sorted set node id → until when a survivor's claim
 *       on the lost node holds ({@link NodeRecords} runs the scripts of these and reads the indexes).
 * </ul>
 *
 * <p>Occupancy is the {@code occupied} flag, changed in the scripts that add and remove a member: a join that
 * finds it unset sets it and answers true; a leave that leaves no live member (one whose expiry has not passed)
 * while it is set clears it and answers vacated. A join or leave writes the room's keys and the node's index in
 * that one script call: the round trip presence always cost, no second one. On a Redis Cluster, where a script
 * may only name keys of one slot, a node's indexes are kept in parts next to each room and user (in their slots),
 * so no key lists all a node holds: there is no lost-node sweep there.
 *
 * <p>Every write sets an entry's expiry to Redis's now + {@code ttl}; reads first drop the entries whose
 * expiry passed, so a node that stops refreshing (it died, or lost Redis) disappears from presence within
 * {@code ttl}. The keys themselves expire {@code ttl} after their last write, so a cluster that is gone
 * entirely leaves nothing behind. {@link #refresh} re-asserts a node's entries in one script call per
 * room and, for users, one per {@value #REFRESH_CHUNK} entries (on a Redis Cluster one per user, whose keys
 * share a slot), all sent without waiting for each other's replies.
 *
 * <p>Before the first connection is made, calls wait for it up to the command timeout;
 * afterwards they fail fast while Redis is unreachable.
 */
public final class RedisPresenceStore implements PresenceStore {
    private static final Comparator<Member> MEMBER_ORDER =
            Comparator.comparing(Member::userId).thenComparing(Member::connId);

    /** Entries per script call in a refresh: keeps one call well under a millisecond of Redis time. */
    static final int REFRESH_CHUNK = 500;

    private final RedisSettings settings;
    private final Duration ttl;
    private final StoreClient lettuce;
    private final Connector<StoreConnection> connector;
    private final ObjectMapper json = JsonMapper.builder().build();
    private final NodeRecords nodes;
    /** On a Redis Cluster: node indexes split by room and user, and no lost-node sweep (see the class docs). */
    private final boolean clusterMode;

    /**
     * Starts connecting in the background; never blocks or fails for an unreachable Redis.
     *
     * @param timeout deadline of each command and of the TCP connect (the cluster's call deadline); positive
     * @param ttl how long an entry lives without a refresh; nodes must refresh well within it (at
     *     least 1 ms)
     */
    public RedisPresenceStore(RedisSettings settings, Duration timeout, Duration ttl) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.nodes = new NodeRecords(settings.keyPrefix());
        this.clusterMode = settings.cluster();
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        if (ttl.toMillis() < 1) {
            throw new IllegalArgumentException("ttl must be at least 1 ms, was " + ttl);
        }
        this.lettuce = StoreClients.create(settings, Objects.requireNonNull(timeout, "timeout"));
        this.connector = new Connector<>("presence " + settings.address(), lettuce.executor(), timeout,
                this::connect, StoreConnection::closeAsync);
        connector.start();
    }

    private CompletionStage<StoreConnection> connect() {
        return lettuce.connectStore().toCompletableFuture()
                .thenCompose(c -> CompletableFuture.allOf(
                                java.util.stream.Stream.concat(SCRIPTS.stream(), NodeRecords.SCRIPTS.stream())
                                        .map(s -> s.load(c.commands())).toArray(CompletableFuture[]::new))
                        .handle((v, e) -> {
                            if (e != null) {
                                c.closeAsync();
                                throw new IllegalStateException("cannot load the presence scripts", e);
                            }
                            return c;
                        }));
    }

    @Override
    public CompletionStage<Boolean> join(String room, String nodeId, String userId, String connId, JsonNode info) {
        String member;
        try {
            member = encodeMember(nodeId, userId, info);
        } catch (JsonProcessingException e) {
            return CompletableFuture.failedFuture(e);
        }
        String[] keys = roomKeys(room);
        return call(redis -> ROOM_JOIN.<Long>run(redis, ScriptOutputType.INTEGER,
                        new String[] {keys[0], keys[1], keys[2], keys[3], roomIndex(room, nodeId, "members")},
                        Long.toString(ttl.toMillis()), connId, member, room, userId)
                .thenApply(r -> r == 1L));
    }

    @Override
    public CompletionStage<Leave> leave(String room, String nodeId, String connId) {
        String[] keys = roomKeys(room);
        return call(redis -> ROOM_LEAVE.<List<Long>>run(redis, ScriptOutputType.MULTI,
                        new String[] {keys[0], keys[1], keys[2], keys[3], roomIndex(room, nodeId, "members")},
                        connId, room)
                .thenApply(r -> new Leave(r.get(0) == 1L, r.get(1) == 1L)));
    }

    @Override
    public CompletionStage<List<Member>> members(String room) {
        return call(redis -> ROOM_LIST.<List<Object>>run(redis, ScriptOutputType.MULTI, roomKeys(room))
                .thenApply(r -> {
                    List<Member> out = new ArrayList<>(r.size() / 2);
                    for (int i = 0; i + 1 < r.size(); i += 2) {
                        out.add(decodeMember((String) r.get(i), (String) r.get(i + 1)));
                    }
                    out.sort(MEMBER_ORDER);
                    return out;
                }));
    }

    @Override
    public CompletionStage<MemberPage> page(String room, String after, int limit) {
        return call(redis -> ROOM_PAGE.<List<Object>>run(redis, ScriptOutputType.MULTI, roomKeys(room),
                        after == null ? "" : after, Integer.toString(limit))
                .thenApply(r -> {
                    List<Member> out = new ArrayList<>((r.size() - 2) / 2);
                    for (int i = 2; i + 1 < r.size(); i += 2) {
                        out.add(decodeMember((String) r.get(i), (String) r.get(i + 1)));
                    }
                    return new MemberPage(((Long) r.get(0)).intValue(), out, (Long) r.get(1) == 1L);
                }));
    }

    /** Reads only the expiry set: a shared-room check must not move a large room's member list. */
    @Override
    public CompletionStage<Boolean> anyMember(String room, Collection<String> connIds) {
        if (connIds.isEmpty()) {
            return CompletableFuture.completedFuture(false);
        }
        String[] fields = connIds.toArray(String[]::new);
        return call(redis -> ANY.<Long>run(redis, ScriptOutputType.INTEGER, new String[] {roomKeys(room)[0]}, fields)
                .thenApply(r -> r == 1L));
    }

    @Override
    public CompletionStage<Void> connect(String userId, String connId, String nodeId) {
        String[] keys = userKeys(userId);
        return call(redis -> USER_CONNECT.<Long>run(redis, ScriptOutputType.INTEGER,
                        new String[] {keys[0], keys[1], userIndex(userId, nodeId, "conns"),
                                clusterMode ? userBase(userId) + "live" : nodes.nodesKey()},
                        Long.toString(ttl.toMillis()), connId, nodeId, userId)
                .thenApply(r -> null));
    }

    @Override
    public CompletionStage<Boolean> disconnect(String userId, String nodeId, String connId) {
        String[] keys = userKeys(userId);
        return call(redis -> USER_DISCONNECT.<Long>run(redis, ScriptOutputType.INTEGER,
                        new String[] {keys[0], keys[1], userIndex(userId, nodeId, "conns")}, connId)
                .thenApply(r -> r == 1L));
    }

    @Override
    public CompletionStage<List<UserConnection>> connections(String userId) {
        return call(redis -> LIST.<List<Object>>run(redis, ScriptOutputType.MULTI, userKeys(userId))
                .thenApply(r -> {
                    List<UserConnection> out = new ArrayList<>(r.size() / 2);
                    for (int i = 0; i + 1 < r.size(); i += 2) {
                        out.add(new UserConnection(userId, (String) r.get(i), (String) r.get(i + 1)));
                    }
                    out.sort(Comparator.comparing(UserConnection::connId));
                    return out;
                }));
    }

    @Override
    public CompletionStage<Void> refresh(String nodeId, Collection<RoomMember> members,
                                         Collection<UserConnection> users) {
        Map<String, List<String>> byRoom = new LinkedHashMap<>();
        try {
            for (RoomMember m : members) {
                List<String> pairs = byRoom.computeIfAbsent(m.room(), r -> new ArrayList<>());
                pairs.add(m.connId());
                pairs.add(encodeMember(nodeId, m.userId(), m.info()));
            }
        } catch (JsonProcessingException e) {
            return CompletableFuture.failedFuture(e);
        }
        Map<String, List<String>> byUser = new LinkedHashMap<>();
        for (UserConnection u : users) {
            List<String> pairs = byUser.computeIfAbsent(u.userId(), k -> new ArrayList<>());
            pairs.add(u.connId());
            pairs.add(u.nodeId());
        }
        return call(redis -> {
            // Issued back to back on one connection: Lettuce pipelines them, one round trip in all.
            List<CompletableFuture<Void>> all = new ArrayList<>();
            byRoom.forEach((room, pairs) -> {
                String[] r = roomKeys(room);
                String[] keys = {r[0], r[1], r[2], r[3], roomIndex(room, nodeId, "members"),
                        roomIndex(room, nodeId, "refreshed")};
                chunks(pairs).forEach(c -> all.add(refreshRoom(redis, keys, room, c)));
            });
            upsertUsers(redis, byUser, all);
            // Last: the room refreshes above read the marker it sets.
            if (!clusterMode) {
                all.add(nodes.alive(redis, nodeId, ttl));
            }
            return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
        });
    }

    /** Closes the connection; calls in flight fail. Idempotent; do not call it from a completion callback. */
    @Override
    public void close() {
        connector.close();
        lettuce.close();
    }

    @Override
    public CompletionStage<String> claimLostNode(String claimer, Duration lease) {
        if (clusterMode) {
            return CompletableFuture.completedFuture(null); // see the class documentation: no node-wide index
        }
        return call(redis -> nodes.claim(redis, claimer, lease));
    }

    @Override
    public CompletionStage<LostEntries> lostEntries(String nodeId) {
        return call(redis -> nodes.entries(redis, nodeId));
    }

    @Override
    public CompletionStage<Void> forgetLostNode(String nodeId) {
        return call(redis -> nodes.forget(redis, nodeId));
    }

    /** One connection carries every call in order: when this one lands, those issued before it have. */
    @Override
    public CompletionStage<Void> retire(String nodeId) {
        if (clusterMode) {
            return CompletableFuture.completedFuture(null);
        }
        return call(redis -> nodes.retire(redis, nodeId));
    }

    @Override
    public String toString() {
        return "RedisPresenceStore[" + settings.address() + ", ttl=" + ttl + "]";
    }

    /**
     * Refreshes every user's entries in calls of about {@value #REFRESH_CHUNK} entries each; on a Redis Cluster one
     * call per user (and per {@value #REFRESH_CHUNK} of its entries), as a script may only name keys of one slot.
     */
    private void upsertUsers(RedisClusterAsyncCommands<String, String> redis, Map<String, List<String>> byUser,
                             List<CompletableFuture<Void>> all) {
        List<String> keys = new ArrayList<>();
        List<String> args = new ArrayList<>();
        args.add(Long.toString(ttl.toMillis()));
        int entries = 0;
        for (Map.Entry<String, List<String>> user : byUser.entrySet()) {
            String[] k = userKeys(user.getKey());
            for (List<String> c : chunks(user.getValue())) {
                keys.add(k[0]);
                keys.add(k[1]);
                args.add(Integer.toString(c.size() / 2));
                args.addAll(c);
                entries += c.size() / 2;
                if (clusterMode || entries >= REFRESH_CHUNK) {
                    all.add(usersUpsert(redis, keys, args));
                    keys.clear();
                    args.subList(1, args.size()).clear();
                    entries = 0;
                }
            }
        }
        if (entries > 0) {
            all.add(usersUpsert(redis, keys, args));
        }
    }

    private static CompletableFuture<Void> usersUpsert(RedisClusterAsyncCommands<String, String> redis,
                                                       List<String> keys, List<String> args) {
        return USERS_UPSERT.<Long>run(redis, ScriptOutputType.INTEGER, keys.toArray(String[]::new),
                args.toArray(String[]::new)).thenApply(r -> null);
    }

    private CompletableFuture<Void> refreshRoom(RedisClusterAsyncCommands<String, String> redis, String[] keys, String room,
                                                List<String> pairs) {
        String[] args = new String[pairs.size() + 2];
        args[0] = Long.toString(ttl.toMillis());
        args[1] = room;
        for (int i = 0; i < pairs.size(); i++) {
            args[i + 2] = pairs.get(i);
        }
        return ROOM_REFRESH.<Long>run(redis, ScriptOutputType.INTEGER, keys, args).thenApply(r -> null);
    }

    private static List<List<String>> chunks(List<String> pairs) {
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i += 2 * REFRESH_CHUNK) {
            out.add(pairs.subList(i, Math.min(pairs.size(), i + 2 * REFRESH_CHUNK)));
        }
        return out;
    }

    private <T> CompletionStage<T> call(Function<RedisClusterAsyncCommands<String, String>, CompletableFuture<T>> op) {
        return watch(connector.await().thenCompose(c -> op.apply(c.commands())));
    }

    /** Tells the client of failed commands (see {@link StoreClient#commandFailed()}). */
    private <T> CompletionStage<T> watch(CompletionStage<T> command) {
        return command.whenComplete((v, e) -> {
            if (e != null) {
                lettuce.commandFailed();
            }
        });
    }

    private String[] roomKeys(String room) {
        String base = roomBase(room);
        return new String[] {base + "exp", base + "members", base + "order", base + "occupied"};
    }

    private String roomBase(String room) {
        return settings.keyPrefix() + "presence:room:{" + room + "}:";
    }

    private String[] userKeys(String userId) {
        String base = userBase(userId);
        return new String[] {base + "exp", base + "nodes"};
    }

    private String userBase(String userId) {
        return settings.keyPrefix() + "presence:user:{" + userId + "}:";
    }

    /**
     * The node's index of what it holds in a room: one key per node, except on a Redis Cluster, where a script
     * may only touch keys of one slot, so the room keeps its own part of the index in its slot.
     */
    private String roomIndex(String room, String nodeId, String which) {
        return clusterMode ? roomBase(room) + "node:" + nodeId + ":" + which : nodes.nodeKey(nodeId, which);
    }

    /** As {@link #roomIndex}, for a user's connections. */
    private String userIndex(String userId, String nodeId, String which) {
        return clusterMode ? userBase(userId) + "node:" + nodeId + ":" + which : nodes.nodeKey(nodeId, which);
    }

    private String encodeMember(String nodeId, String userId, JsonNode info) throws JsonProcessingException {
        ObjectNode m = json.createObjectNode();
        m.put("userId", userId);
        m.put("node", nodeId);
        if (info != null) {
            m.set("info", info);
        }
        return json.writeValueAsString(m);
    }

    private Member decodeMember(String connId, String value) {
        try {
            JsonNode m = json.readTree(value);
            return new Member(m.path("userId").asText(), connId, m.get("info"));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable presence entry " + connId, e);
        }
    }
}
