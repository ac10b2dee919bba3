package io.switchboard.redis;

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
 *       {@link #ROOM_REFRESH});
 *   <li>{@code <prefix>presence:nodes}, a sorted set node id → until when it counts as live, pushed forward by each
 *       connect and refresh, and {@code <prefix>presence:lost}, a sorted set node id → until when a survivor's claim
 *       on the lost node holds ({@link NodeRecords} runs the scripts of these and reads the indexes).
 * </ul>
 *
 * <p>Occupancy is the {@code occupied} flag, changed in the scripts that add and remove a member: a join that
 * finds it unset sets it and answers true; a leave that leaves no live member (one whose expiry has not passed)
 * while it is set clears it and answers vacated. A join or leave writes the room's keys and the node's index in
 * that one script call: the round trip presence always cost, no second one. (The scripts name keys of several
 * hash tags: the store runs on one Redis, standalone or behind Sentinel, not on Redis Cluster.)
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

    static final String NOW = """
            local time = redis.call('TIME')
            local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
            """;

    /**
     * How many TTLs a node's indexes, a room's occupied flag, the live-node and the claim sets outlast their last
     * write: a lost node is claimed a third of a TTL after it expires, well within; a cluster gone entirely leaves
     * nothing behind.
     */
    static final String KEEP = """
            local KEEP = 3
            """;

    /**
     * KEYS: expiry set, hash. ARGV: ttl ms, then field, value pairs. Sets each entry and its expiry, and
     * extends (never shortens) the keys' own expiry to cover it.
     */
    private static final RedisScript UPSERT = new RedisScript("presence-upsert", NOW + """
            local ttl = tonumber(ARGV[1])
            local expiry = string.format('%d', now + ttl)
            for i = 2, #ARGV, 2 do
              redis.call('ZADD', KEYS[1], expiry, ARGV[i])
              redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
            end
            for _, key in ipairs(KEYS) do
              local left = redis.call('PTTL', key)
              if left < ttl then redis.call('PEXPIRE', key, ttl) end
            end
            return 1
            """);

    /**
     * {@link #UPSERT} for several users at once (one Redis, not a Cluster: the keys span slots). KEYS: expiry set and
     * hash of each user. ARGV: ttl ms, then for each user the number of its pairs and its field, value pairs. A
     * refresh calls it once per {@value #REFRESH_CHUNK} entries instead of once per user, most of whom have one
     * connection: in the three-node benchmark (15,000 users) 535 calls instead of 30,000 per 20 s, and 13% less
     * Redis CPU. The writes per entry, not the calls, are most of what a refresh costs.
     */
    private static final RedisScript USERS_UPSERT = new RedisScript("presence-users-upsert", NOW + """
            local ttl = tonumber(ARGV[1])
            local expiry = string.format('%d', now + ttl)
            local a = 2
            for k = 1, #KEYS, 2 do
              local n = tonumber(ARGV[a])
              a = a + 1
              for j = 1, n do
                redis.call('ZADD', KEYS[k], expiry, ARGV[a])
                redis.call('HSET', KEYS[k + 1], ARGV[a], ARGV[a + 1])
                a = a + 2
              end
              for i = k, k + 1 do
                if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
              end
            end
            return 1
            """);

    /** KEYS: expiry set, hash. Drops expired entries, returns the rest as field, value pairs. */
    private static final RedisScript LIST = new RedisScript("presence-list", NOW + """
            local before = '(' .. string.format('%d', now)
            local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', before)
            for i = 1, #expired, 1000 do
              redis.call('HDEL', KEYS[2], unpack(expired, i, math.min(i + 999, #expired)))
            end
            if #expired > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', before) end
            return redis.call('HGETALL', KEYS[2])
            """);

    /** KEYS: expiry set. ARGV: fields. 1 when one of them has not expired, else 0. */
    private static final RedisScript ANY = new RedisScript("presence-any", NOW + """
            for i = 1, #ARGV do
              local expiry = redis.call('ZSCORE', KEYS[1], ARGV[i])
              if expiry and tonumber(expiry) >= now then return 1 end
            end
            return 0
            """);

    /** A room member's place in member order: its user id (from its entry) and connection id, NUL between. */
    private static final String ORDER_KEY = """
            local function order_key(conn, value)
              return cjson.decode(value)['userId'] .. '\\0' .. conn
            end
            """;

    /** KEYS: expiry set, hash, order set. Drops the expired entries from all three. */
    private static final String DROP_EXPIRED = ORDER_KEY + """
            local before = '(' .. string.format('%d', now)
            local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', before)
            for _, conn in ipairs(expired) do
              local value = redis.call('HGET', KEYS[2], conn)
              if value then
                redis.call('ZREM', KEYS[3], order_key(conn, value))
                redis.call('HDEL', KEYS[2], conn)
              end
            end
            if #expired > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', before) end
            """;


    /** As {@link #LIST} for a room, keeping its order set (KEYS[3]) too. */
    private static final RedisScript ROOM_LIST = new RedisScript("presence-room-list", NOW + DROP_EXPIRED + """
            return redis.call('HGETALL', KEYS[2])
            """);

    /**
     * KEYS: expiry set, hash, order set. ARGV: the order key to start after ('' for the first), limit. Returns
     * {count, more (0 or 1), connId, value, ...}: one page in member order read from the order set, so a page
     * costs its own size, not the room's.
     */
    private static final RedisScript ROOM_PAGE = new RedisScript("presence-room-page", NOW + DROP_EXPIRED + """
            local limit = tonumber(ARGV[2])
            local from = ARGV[1] == '' and '-' or '(' .. ARGV[1]
            local keys = redis.call('ZRANGEBYLEX', KEYS[3], from, '+', 'LIMIT', 0, limit + 1)
            local out = {redis.call('HLEN', KEYS[2]), #keys > limit and 1 or 0}
            for i = 1, math.min(#keys, limit) do
              local conn = string.sub(keys[i], string.find(keys[i], '\\0', 1, true) + 1)
              local value = redis.call('HGET', KEYS[2], conn)
              if value then
                out[#out + 1] = conn
                out[#out + 1] = value
              end
            end
            return out
            """);

    /** A connection's index entry in its node's members hash: connection id, NUL, room. */
    private static final String INDEX_FIELD = """
            local function index_field(conn, room)
              return conn .. '\\0' .. room
            end
            """;

    /**
     * A refresh of one room's members of one node. KEYS: expiry set, hash, order set, occupied flag, the node's
     * members index, the node's refreshed marker. ARGV: ttl ms, room, then connId, value pairs.
     *
     * <p>The member list was read before the call: a member that left meanwhile must not come back, or the room
     * would never count as vacated. Its leave took its index entry, so while the node's marker says the indexes
     * are whole, only members still in the index are re-asserted. Without the marker (the node's first refresh,
     * or Redis lost its data, or the node was declared lost) every member is written back, index included. The
     * occupied flag is kept for as long as a lost node's members need it: a survivor's removal of the last of
     * them must still find it set.
     */
    private static final RedisScript ROOM_REFRESH = new RedisScript("presence-room-refresh", NOW + KEEP + INDEX_FIELD
            + """
            local ttl = tonumber(ARGV[1])
            local room = ARGV[2]
            local expiry = string.format('%d', now + ttl)
            local whole = redis.call('EXISTS', KEYS[6]) == 0
            for i = 3, #ARGV, 2 do
              local conn, value = ARGV[i], ARGV[i + 1]
              local field = index_field(conn, room)
              if whole or redis.call('HEXISTS', KEYS[5], field) == 1 then
                local user = cjson.decode(value)['userId']
                if whole then redis.call('HSET', KEYS[5], field, user) end
                redis.call('ZADD', KEYS[1], expiry, conn)
                redis.call('HSET', KEYS[2], conn, value)
                redis.call('ZADD', KEYS[3], 0, user .. '\\0' .. conn)
              end
            end
            for i = 1, 3 do
              if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
            end
            if redis.call('PTTL', KEYS[4]) < ttl * KEEP then redis.call('PEXPIRE', KEYS[4], ttl * KEEP) end
            if whole then redis.call('PEXPIRE', KEYS[5], ttl * KEEP) end
            return 1
            """);

    /**
     * KEYS: expiry set, hash, order set, occupied flag, the node's members index. ARGV: ttl ms, connId, value, room,
     * userId. Adds the member and its index entry; sets the occupied flag when it is not set and answers 1 then
     * (the room went from no live member to one), else 0.
     */
    private static final RedisScript ROOM_JOIN = new RedisScript("presence-room-join", NOW + KEEP + ORDER_KEY
            + INDEX_FIELD + """
            local ttl = tonumber(ARGV[1])
            local conn, value = ARGV[2], ARGV[3]
            redis.call('ZADD', KEYS[1], string.format('%d', now + ttl), conn)
            redis.call('HSET', KEYS[2], conn, value)
            redis.call('ZADD', KEYS[3], 0, order_key(conn, value))
            redis.call('HSET', KEYS[5], index_field(conn, ARGV[4]), ARGV[5])
            local occupied = 0
            if redis.call('SET', KEYS[4], '1', 'NX', 'PX', ttl * KEEP) then occupied = 1 end
            for i = 1, 3 do
              if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
            end
            if redis.call('PTTL', KEYS[4]) < ttl * KEEP then redis.call('PEXPIRE', KEYS[4], ttl * KEEP) end
            redis.call('PEXPIRE', KEYS[5], ttl * KEEP)
            return occupied
            """);

    /**
     * KEYS: expiry set, hash, order set, occupied flag, the node's members index. ARGV: connId, room. Removes the
     * member and its index entry. Answers {removed, vacated}: removed is 1 when this call took the index entry;
     * vacated is 1 when the flag was set and no live member is left, and the flag is cleared with it.
     */
    private static final RedisScript ROOM_LEAVE = new RedisScript("presence-room-leave", NOW + ORDER_KEY
            + INDEX_FIELD + """
            local conn = ARGV[1]
            local value = redis.call('HGET', KEYS[2], conn)
            if value then redis.call('ZREM', KEYS[3], order_key(conn, value)) end
            redis.call('ZREM', KEYS[1], conn)
            redis.call('HDEL', KEYS[2], conn)
            local removed = redis.call('HDEL', KEYS[5], index_field(conn, ARGV[2]))
            local vacated = 0
            if redis.call('EXISTS', KEYS[4]) == 1
                and redis.call('ZCOUNT', KEYS[1], string.format('%d', now), '+inf') == 0 then
              redis.call('DEL', KEYS[4])
              vacated = 1
            end
            return {removed, vacated}
            """);

    /**
     * KEYS: expiry set, hash, the node's connections index, live nodes. ARGV: ttl ms, connId, nodeId, userId. As
     * {@link #UPSERT} for one connection, plus its index entry; the node counts as live for a ttl from now.
     */
    private static final RedisScript USER_CONNECT = new RedisScript("presence-user-connect", NOW + KEEP + """
            local ttl = tonumber(ARGV[1])
            local conn = ARGV[2]
            redis.call('ZADD', KEYS[1], string.format('%d', now + ttl), conn)
            redis.call('HSET', KEYS[2], conn, ARGV[3])
            redis.call('HSET', KEYS[3], conn, ARGV[4])
            redis.call('ZADD', KEYS[4], string.format('%d', now + ttl), ARGV[3])
            for i = 1, 2 do
              if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
            end
            redis.call('PEXPIRE', KEYS[3], ttl * KEEP)
            redis.call('PEXPIRE', KEYS[4], ttl * KEEP)
            return 1
            """);

    /** KEYS: expiry set, hash, the node's connections index. ARGV: connId. 1 when this call took the index entry. */
    private static final RedisScript USER_DISCONNECT = new RedisScript("presence-user-disconnect", """
            redis.call('ZREM', KEYS[1], ARGV[1])
            redis.call('HDEL', KEYS[2], ARGV[1])
            return redis.call('HDEL', KEYS[3], ARGV[1])
            """);

    private static final List<RedisScript> SCRIPTS = List.of(UPSERT, LIST, ANY, ROOM_REFRESH, ROOM_LIST, ROOM_PAGE,
            ROOM_JOIN, ROOM_LEAVE, USER_CONNECT, USER_DISCONNECT, USERS_UPSERT);

    private final RedisSettings settings;
    private final Duration ttl;
    private final StoreClient lettuce;
    private final Connector<StoreConnection> connector;
    private final ObjectMapper json = JsonMapper.builder().build();
    private final NodeRecords nodes;

    /**
     * Starts connecting in the background; never blocks or fails for an unreachable Redis.
     *
     * @param timeout deadline of each command and of the TCP connect (the cluster's call deadline); positive
     * @param ttl how long an entry lives without a refresh; nodes must refresh well within it (at
     *     least 1 ms)
     */
    /** On a Redis Cluster: node indexes split by room and user, and no lost-node sweep (see the class docs). */
    private final boolean clusterMode;

    public RedisPresenceStore(RedisSettings settings, Duration timeout, Duration ttl) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.nodes = new NodeRecords(settings.keyPrefix());
        this.clusterMode = settings.cluster();
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        if (ttl.toMillis() < 1) {
            throw new IllegalArgumentException("ttl must be at least 1 ms, was " + ttl);
        }
        this.lettuce = StoreClient.create(settings, Objects.requireNonNull(timeout, "timeout"));
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
            if (clusterMode) {
                byUser.forEach((user, pairs) -> chunks(pairs)
                        .forEach(c -> all.add(upsert(redis, UPSERT, userKeys(user), c))));
            } else {
                upsertUsers(redis, byUser, all);
            }
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

    private CompletableFuture<Void> upsert(RedisClusterAsyncCommands<String, String> redis, RedisScript script, String[] keys,
                                           List<String> pairs) {
        String[] args = new String[pairs.size() + 1];
        args[0] = Long.toString(ttl.toMillis());
        for (int i = 0; i < pairs.size(); i++) {
            args[i + 1] = pairs.get(i);
        }
        return script.<Long>run(redis, ScriptOutputType.INTEGER, keys, args).thenApply(r -> null);
    }

    /** Refreshes every user's entries in calls of about {@value #REFRESH_CHUNK} entries each (not on a Cluster). */
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
                if (entries >= REFRESH_CHUNK) {
                    all.add(USERS_UPSERT.<Long>run(redis, ScriptOutputType.INTEGER, keys.toArray(String[]::new),
                            args.toArray(String[]::new)).thenApply(r -> null));
                    keys.clear();
                    args.subList(1, args.size()).clear();
                    entries = 0;
                }
            }
        }
        if (entries > 0) {
            all.add(USERS_UPSERT.<Long>run(redis, ScriptOutputType.INTEGER, keys.toArray(String[]::new),
                    args.toArray(String[]::new)).thenApply(r -> null));
        }
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
