package io.switchboard.redis;

import java.util.List;

/**
 * The Lua scripts of {@link RedisPresenceStore}, with the pieces they share. Each runs atomically on one Redis; the
 * keys each names are in its comment (see the store's class docs for what each key holds).
 */
final class PresenceScripts {
    private PresenceScripts() {
    }

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
     * KEYS: expiry set and hash of each user. ARGV: ttl ms, then for each user the number of its pairs and its
     * field, value pairs. Sets each entry and its expiry, and extends (never shortens) each user's keys' own expiry
     * to cover it. On a Redis Cluster a call names one user only (its keys share a slot, several users' do not). A
     * refresh calls it once per {@value RedisPresenceStore#REFRESH_CHUNK} entries instead of once per user, most of whom have one
     * connection: in the three-node benchmark (15,000 users) 535 calls instead of 30,000 per 20 s, and 13% less
     * Redis CPU. The writes per entry, not the calls, are most of what a refresh costs.
     */
    static final RedisScript USERS_UPSERT = new RedisScript("presence-users-upsert", NOW + """
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
    static final RedisScript LIST = new RedisScript("presence-list", NOW + """
            local before = '(' .. string.format('%d', now)
            local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', before)
            for i = 1, #expired, 1000 do
              redis.call('HDEL', KEYS[2], unpack(expired, i, math.min(i + 999, #expired)))
            end
            if #expired > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', before) end
            return redis.call('HGETALL', KEYS[2])
            """);

    /** KEYS: expiry set. ARGV: fields. 1 when one of them has not expired, else 0. */
    static final RedisScript ANY = new RedisScript("presence-any", NOW + """
            for i = 1, #ARGV do
              local expiry = redis.call('ZSCORE', KEYS[1], ARGV[i])
              if expiry and tonumber(expiry) >= now then return 1 end
            end
            return 0
            """);

    /** A room member's place in member order: its user id (from its entry) and connection id, NUL between. */
    static final String ORDER_KEY = """
            local function order_key(conn, value)
              return cjson.decode(value)['userId'] .. '\\0' .. conn
            end
            """;

    /** KEYS: expiry set, hash, order set. Drops the expired entries from all three. */
    static final String DROP_EXPIRED = ORDER_KEY + """
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
    static final RedisScript ROOM_LIST = new RedisScript("presence-room-list", NOW + DROP_EXPIRED + """
            return redis.call('HGETALL', KEYS[2])
            """);

    /**
     * KEYS: expiry set, hash, order set. ARGV: the order key to start after ('' for the first), limit. Returns
     * {count, more (0 or 1), connId, value, ...}: one page in member order read from the order set, so a page
     * costs its own size, not the room's.
     */
    static final RedisScript ROOM_PAGE = new RedisScript("presence-room-page", NOW + DROP_EXPIRED + """
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
    static final String INDEX_FIELD = """
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
    static final RedisScript ROOM_REFRESH = new RedisScript("presence-room-refresh", NOW + KEEP + INDEX_FIELD
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
    static final RedisScript ROOM_JOIN = new RedisScript("presence-room-join", NOW + KEEP + ORDER_KEY
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
    static final RedisScript ROOM_LEAVE = new RedisScript("presence-room-leave", NOW + ORDER_KEY
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
     * {@link #USERS_UPSERT} for one connection, plus its index entry; the node counts as live for a ttl from now.
     */
    static final RedisScript USER_CONNECT = new RedisScript("presence-user-connect", NOW + KEEP + """
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
    static final RedisScript USER_DISCONNECT = new RedisScript("presence-user-disconnect", """
            redis.call('ZREM', KEYS[1], ARGV[1])
            redis.call('HDEL', KEYS[2], ARGV[1])
            return redis.call('HDEL', KEYS[3], ARGV[1])
            """);

    static final List<RedisScript> SCRIPTS = List.of(LIST, ANY, ROOM_REFRESH, ROOM_LIST, ROOM_PAGE,
            ROOM_JOIN, ROOM_LEAVE, USER_CONNECT, USER_DISCONNECT, USERS_UPSERT);
}
