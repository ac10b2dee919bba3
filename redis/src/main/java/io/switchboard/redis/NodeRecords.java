package io.switchboard.redis;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.switchboard.core.presence.PresenceStore.LostEntries;
import io.switchboard.core.presence.PresenceStore.RoomMember;
import io.switchboard.core.presence.PresenceStore.UserConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * What {@link RedisPresenceStore} keeps of each node, so that the connections of a node that died can be reported
 * by one survivor: the live nodes ({@code <prefix>presence:nodes}, node id → until when it counts as live, Redis
 * time in ms), the claims on lost nodes ({@code <prefix>presence:lost}, node id → until when the claim holds), and
 * each node's indexes ({@code <prefix>presence:node:{node}:members}, {@code :conns}) and refreshed marker
 * ({@code :refreshed}). The presence scripts write the indexes along with the entries; this class reads them and
 * runs the node-level scripts. It is the one place that decides, from presence alone, that a node is lost: a
 * registry of live nodes would replace {@link #CLAIM_LOST}. Thread-safe (stateless but for the key prefix).
 */
final class NodeRecords {
    private static final String NOW_KEEP = PresenceScripts.NOW + PresenceScripts.KEEP;

    /**
     * KEYS: live nodes, the node's members index, its connections index, its refreshed marker. ARGV: ttl ms, nodeId.
     * The last call of a refresh: the node counts as live for a ttl from now, its indexes are kept, and its marker
     * says they are whole.
     */
    static final RedisScript NODE_ALIVE = new RedisScript("presence-node-alive", NOW_KEEP + """
            local ttl = tonumber(ARGV[1])
            redis.call('ZADD', KEYS[1], string.format('%d', now + ttl), ARGV[2])
            redis.call('SET', KEYS[4], '1', 'PX', ttl * KEEP)
            for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ttl * KEEP) end
            return 1
            """);

    /**
     * KEYS: live nodes, claims. ARGV: claimer, lease ms. First a claim whose lease ran out (its claimer is gone too)
     * unless its node came back; else a node other than the claimer that stopped counting as live, moved from the
     * live nodes to the claims. Answers its id with the claim renewed for the lease, or false.
     */
    static final RedisScript CLAIM_LOST = new RedisScript("presence-claim-lost", NOW_KEEP + """
            local claim_until = string.format('%d', now + tonumber(ARGV[2]))
            redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]) * KEEP)
            local before = '(' .. string.format('%d', now)
            for _, n in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', before, 'LIMIT', 0, 10)) do
              local live = redis.call('ZSCORE', KEYS[1], n)
              if live and tonumber(live) >= now then
                redis.call('ZREM', KEYS[2], n)
              else
                redis.call('ZADD', KEYS[2], claim_until, n)
                return n
              end
            end
            for _, n in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', before, 'LIMIT', 0, 2)) do
              if n ~= ARGV[1] then
                redis.call('ZREM', KEYS[1], n)
                redis.call('ZADD', KEYS[2], claim_until, n)
                return n
              end
            end
            return false
            """);

    /**
     * KEYS: claims, live nodes, the node's members index, its connections index, its refreshed marker. ARGV: nodeId.
     * Drops the claim, and the indexes and marker unless the node came back meanwhile (should it come back later,
     * its next refresh writes everything it holds again).
     */
    static final RedisScript FORGET_LOST = new RedisScript("presence-forget-lost", """
            redis.call('ZREM', KEYS[1], ARGV[1])
            if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then redis.call('DEL', KEYS[3], KEYS[4], KEYS[5]) end
            return 1
            """);

    /**
     * KEYS: live nodes, claims, the node's members index, its connections index, its refreshed marker. ARGV: nodeId.
     * A node that stops gracefully: nothing of it is left to claim.
     */
    static final RedisScript RETIRE = new RedisScript("presence-retire", """
            redis.call('ZREM', KEYS[1], ARGV[1])
            redis.call('ZREM', KEYS[2], ARGV[1])
            redis.call('DEL', KEYS[3], KEYS[4], KEYS[5])
            return 1
            """);

    static final List<RedisScript> SCRIPTS = List.of(NODE_ALIVE, CLAIM_LOST, FORGET_LOST, RETIRE);

    private final String prefix;

    NodeRecords(String keyPrefix) {
        this.prefix = keyPrefix;
    }

    /**
     * One of a node's keys: {@code members} (connId NUL room → userId), {@code conns} (connId → userId) or
     * {@code refreshed}.
     */
    String nodeKey(String nodeId, String which) {
        return prefix + "presence:node:{" + nodeId + "}:" + which;
    }

    String nodesKey() {
        return prefix + "presence:nodes";
    }

    private String claimsKey() {
        return prefix + "presence:lost";
    }

    /** The last call of a node's refresh. */
    CompletableFuture<Void> alive(RedisClusterAsyncCommands<String, String> redis, String nodeId, Duration ttl) {
        return NODE_ALIVE.<Long>run(redis, ScriptOutputType.INTEGER,
                new String[] {nodesKey(), nodeKey(nodeId, "members"), nodeKey(nodeId, "conns"),
                        nodeKey(nodeId, "refreshed")},
                Long.toString(ttl.toMillis()), nodeId).thenApply(r -> null);
    }

    CompletableFuture<String> claim(RedisClusterAsyncCommands<String, String> redis, String claimer, Duration lease) {
        return CLAIM_LOST.run(redis, ScriptOutputType.VALUE, new String[] {nodesKey(), claimsKey()}, claimer,
                Long.toString(Math.max(1, lease.toMillis())));
    }

    /** Reads the node's two index hashes, back to back: one round trip. */
    CompletableFuture<LostEntries> entries(RedisClusterAsyncCommands<String, String> redis, String nodeId) {
        CompletableFuture<Map<String, String>> members =
                redis.hgetall(nodeKey(nodeId, "members")).toCompletableFuture();
        CompletableFuture<Map<String, String>> conns = redis.hgetall(nodeKey(nodeId, "conns")).toCompletableFuture();
        return members.thenCombine(conns, (m, c) -> {
            List<RoomMember> roomMembers = new ArrayList<>(m.size());
            m.forEach((field, userId) -> {
                int nul = field.indexOf('\0');
                if (nul > 0) {
                    roomMembers.add(new RoomMember(field.substring(nul + 1), userId, field.substring(0, nul), null));
                }
            });
            List<UserConnection> users = new ArrayList<>(c.size());
            c.forEach((connId, userId) -> users.add(new UserConnection(userId, connId, nodeId)));
            return new LostEntries(nodeId, roomMembers, users);
        });
    }

    CompletableFuture<Void> forget(RedisClusterAsyncCommands<String, String> redis, String nodeId) {
        return FORGET_LOST.<Long>run(redis, ScriptOutputType.INTEGER, new String[] {claimsKey(), nodesKey(),
                nodeKey(nodeId, "members"), nodeKey(nodeId, "conns"), nodeKey(nodeId, "refreshed")}, nodeId)
                .thenApply(r -> null);
    }

    CompletableFuture<Void> retire(RedisClusterAsyncCommands<String, String> redis, String nodeId) {
        return RETIRE.<Long>run(redis, ScriptOutputType.INTEGER, new String[] {nodesKey(), claimsKey(),
                nodeKey(nodeId, "members"), nodeKey(nodeId, "conns"), nodeKey(nodeId, "refreshed")}, nodeId)
                .thenApply(r -> null);
    }
}
