package io.switchboard.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.switchboard.core.history.HistoryStore;
import io.switchboard.core.history.Retention;
import io.switchboard.core.history.StoredMessages;
import io.switchboard.protocol.ServerMessage.RoomMessage;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * History shared by the nodes of a cluster, kept in Redis. Thread-safe; every call is one Lua script,
 * so it is atomic across threads and nodes, and none blocks the caller.
 *
 * <p>Per room, two keys in one Cluster slot (hash tag {@code {room}}):
 * <ul>
 *   <li>{@code <prefix>history:{room}:meta}, a hash {@code epoch, offset}: the lineage and the last
 *       assigned offset;
 *   <li>{@code <prefix>history:{room}:log}, a stream whose entry ids are {@code <offset>-0}, so that
 *       reading after an offset is one XRANGE; each entry holds {@code t} (Redis time of the append,
 *       milliseconds) and {@code m} (the message as JSON, without room and offset).
 * </ul>
 *
 * <p>The log keeps the last {@code size} messages (exact XADD MAXLEN) and drops messages older than
 * {@code ttl} by Redis's clock, so nodes with skewed clocks agree. Both keys expire {@code ttl} after the
 * room was last used (any call); the next use then starts a new epoch, and clients asking to recover
 * the old one get {@code recovered:false}. A Redis that loses its data (no persistence, a failover to a
 * lagging replica) loses the meta hash with it and so also starts a new epoch; a Redis with AOF keeps
 * offsets and epochs across restarts. The epoch of a new lineage is drawn by the caller and created by
 * the first call that finds none, so all nodes agree on it.
 *
 * <p>Before the first connection is made, calls wait for it up to the command timeout;
 * afterwards they fail fast while Redis is unreachable and time out after the same timeout when it
 * does not answer.
 */
public final class RedisHistoryStore implements HistoryStore {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Offsets travel through Lua as doubles; beyond this they would lose precision. */
    private static final long MAX_LUA_INTEGER = 1L << 53;

    /**
     * Shared by every script: resolves the epoch (creating it with ARGV[2] when the room has none),
     * drops messages older than ARGV[1] ms and defines {@code touch} to push the keys' expiry forward.
     * The expiry check reads the oldest entry alone first: it is usually still live, and every script call,
     * each append included, pays for what the check reads (100 entries with their messages, before).
     */
    private static final String PRELUDE = """
            local meta, log = KEYS[1], KEYS[2]
            local ttl = tonumber(ARGV[1])
            local time = redis.call('TIME')
            local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
            local epoch = redis.call('HGET', meta, 'epoch')
            if not epoch then
              epoch = ARGV[2]
              redis.call('DEL', log)
              redis.call('HSET', meta, 'epoch', epoch, 'offset', 0)
            end
            local last = tonumber(redis.call('HGET', meta, 'offset'))
            local cutoff = now - ttl
            local batch = 1
            while true do
              local head = redis.call('XRANGE', log, '-', '+', 'COUNT', batch)
              local expired = {}
              for _, entry in ipairs(head) do
                if tonumber(entry[2][2]) >= cutoff then break end
                expired[#expired + 1] = entry[1]
              end
              if #expired > 0 then redis.call('XDEL', log, unpack(expired)) end
              if #expired < batch then break end
              batch = 100
            end
            local function touch()
              redis.call('PEXPIRE', meta, ttl)
              redis.call('PEXPIRE', log, ttl)
            end
            local function id(offset)
              return string.format('%d-0', offset)
            end
            """;

    /** ARGV: ttl, new epoch, size, message JSON. Returns {epoch, offset}. */
    private static final RedisScript APPEND = new RedisScript("history-append", PRELUDE + """
            local offset = redis.call('HINCRBY', meta, 'offset', 1)
            local size = tonumber(ARGV[3])
            if size > 0 then
              redis.call('XADD', log, 'MAXLEN', size, id(offset), 't', string.format('%d', now), 'm', ARGV[4])
            end
            touch()
            return {epoch, offset}
            """);

    /**
     * KEYS: meta, log, the idempotency key's own key. ARGV: ttl, new epoch, size, message JSON, window ms. Returns
     * {epoch, offset, 0} after appending, or {epoch, first offset, 1} when the key was used in this epoch within
     * the window: the check and the append are one script, so two nodes racing with one key append once.
     */
    private static final RedisScript APPEND_ONCE = new RedisScript("history-append-once", PRELUDE + """
            local seen = redis.call('GET', KEYS[3])
            if seen then
              local sep = string.find(seen, ':', 1, true)
              if sep and string.sub(seen, 1, sep - 1) == epoch then
                touch()
                return {epoch, tonumber(string.sub(seen, sep + 1)), 1}
              end
            end
            local offset = redis.call('HINCRBY', meta, 'offset', 1)
            local size = tonumber(ARGV[3])
            if size > 0 then
              redis.call('XADD', log, 'MAXLEN', size, id(offset), 't', string.format('%d', now), 'm', ARGV[4])
            end
            touch()
            redis.call('SET', KEYS[3], epoch .. ':' .. string.format('%d', offset), 'PX', tonumber(ARGV[5]))
            return {epoch, offset, 0}
            """);

    /** ARGV: ttl, new epoch. Returns {epoch, offset}. */
    private static final RedisScript POSITION = new RedisScript("history-position", PRELUDE + """
            touch()
            return {epoch, last}
            """);

    /**
     * ARGV: ttl, new epoch, offset, epoch. Returns {epoch, last, 1, id, json, ...} when every message
     * after the offset is retained, {epoch, last, 0} when not (another epoch, the future, trimmed).
     */
    private static final RedisScript RECOVER = new RedisScript("history-recover", PRELUDE + """
            touch()
            local want = tonumber(ARGV[3])
            if epoch ~= ARGV[4] or want > last or want < 0 then return {epoch, last, 0} end
            if want == last then return {epoch, last, 1} end
            local entries = redis.call('XRANGE', log, id(want + 1), '+')
            if #entries == 0 or entries[1][1] ~= id(want + 1) then return {epoch, last, 0} end
            local out = {epoch, last, 1}
            for _, entry in ipairs(entries) do
              out[#out + 1] = entry[1]
              out[#out + 1] = entry[2][4]
            end
            return out
            """);

    /** ARGV: ttl, new epoch, after offset or '' for the newest, limit. Returns {epoch, id, json, ...}. */
    private static final RedisScript READ = new RedisScript("history-read", PRELUDE + """
            touch()
            local limit = tonumber(ARGV[4])
            local out = {epoch}
            if limit <= 0 then return out end
            if ARGV[3] == '' then
              local entries = redis.call('XREVRANGE', log, '+', '-', 'COUNT', limit)
              for i = #entries, 1, -1 do
                out[#out + 1] = entries[i][1]
                out[#out + 1] = entries[i][2][4]
              end
            else
              local after = math.max(tonumber(ARGV[3]), 0)
              local entries = redis.call('XRANGE', log, id(after + 1), '+', 'COUNT', limit)
              for _, entry in ipairs(entries) do
                out[#out + 1] = entry[1]
                out[#out + 1] = entry[2][4]
              end
            end
            return out
            """);

    private static final List<RedisScript> SCRIPTS = List.of(APPEND, APPEND_ONCE, POSITION, RECOVER, READ);

    private final RedisSettings settings;
    private final Retention.Lookup retention;
    private final Duration timeout;
    private final StoreClient lettuce;
    private final Connector<StoreConnection> connector;
    private final StoredMessages codec = new StoredMessages();

    /**
     * Starts connecting in the background; never blocks or fails for an unreachable Redis.
     *
     * @param timeout deadline of each command and of the TCP connect (the cluster's call deadline); positive
     * @param size messages kept per room, {@code >= 0}
     * @param ttl how long a message is kept, and how long an unused room's offsets live; at least 1 ms
     */
    public RedisHistoryStore(RedisSettings settings, Duration timeout, int size, Duration ttl) {
        this(settings, timeout, checked(size, ttl));
    }

    /**
     * As the other constructor, with each room's size and ttl from {@code retention} (asked on every call, so it
     * must answer at once).
     */
    public RedisHistoryStore(RedisSettings settings, Duration timeout, Retention.Lookup retention) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.retention = Objects.requireNonNull(retention, "retention");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.lettuce = StoreClients.create(settings, timeout);
        this.connector = new Connector<>("history " + settings.address(), lettuce.executor(), timeout,
                this::connect, StoreConnection::closeAsync);
        connector.start();
    }

    private static Retention.Lookup checked(int size, Duration ttl) {
        Objects.requireNonNull(ttl, "ttl");
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0, was " + size);
        }
        if (ttl.toMillis() < 1) {
            throw new IllegalArgumentException("ttl must be at least 1 ms, was " + ttl);
        }
        return Retention.Lookup.fixed(size, ttl);
    }

    private CompletionStage<StoreConnection> connect() {
        return lettuce.connectStore().toCompletableFuture()
                .thenCompose(c -> loadScripts(c).handle((v, e) -> {
                    if (e != null) {
                        c.closeAsync();
                        throw new IllegalStateException("cannot load the history scripts", e);
                    }
                    return c;
                }));
    }

    private static CompletableFuture<Void> loadScripts(StoreConnection c) {
        return CompletableFuture.allOf(SCRIPTS.stream().map(s -> s.load(c.commands())).toArray(CompletableFuture[]::new));
    }

    @Override
    public CompletionStage<Appended> append(String room, String from, String connId, String content,
                                               JsonNode data, long timestampMillis) {
        String message;
        try {
            message = encode(from, connId, content, data, timestampMillis);
        } catch (JsonProcessingException e) {
            return CompletableFuture.failedFuture(e);
        }
        String[] keys = keys(room);
        return write(keys[0], redis -> APPEND.<List<Object>>run(redis, ScriptOutputType.MULTI, keys,
                        ttlArg(room), newEpoch(), Integer.toString(retention.retention(room).size()), message)
                .thenCompose(r -> replicated(redis, r))
                .thenApply(r -> new Appended(new RoomMessage(room, from, connId, content, data, (Long) r.get(1),
                        timestampMillis), (String) r.get(0))));
    }

    /**
     * Each key lives in Redis as {@code <prefix>history:{room}:idem:<key>} (the room's slot) for the window, so
     * what Redis remembers is bounded by the publish rate times the window.
     */
    @Override
    public CompletionStage<Appended> append(String room, String from, String connId, String content, JsonNode data,
                                            long timestampMillis, String idempotencyKey, Duration window) {
        if (idempotencyKey == null) {
            return append(room, from, connId, content, data, timestampMillis);
        }
        String message;
        try {
            message = encode(from, connId, content, data, timestampMillis);
        } catch (JsonProcessingException e) {
            return CompletableFuture.failedFuture(e);
        }
        String[] roomKeys = keys(room);
        String[] keys = {roomKeys[0], roomKeys[1], settings.keyPrefix() + "history:{" + room + "}:idem:"
                + idempotencyKey};
        return write(keys[0], redis -> APPEND_ONCE.<List<Object>>run(redis, ScriptOutputType.MULTI, keys,
                        ttlArg(room), newEpoch(), Integer.toString(retention.retention(room).size()), message,
                        Long.toString(Math.max(1, window.toMillis())))
                .thenCompose(r -> replicated(redis, r))
                .thenApply(r -> new Appended(new RoomMessage(room, from, connId, content, data, (Long) r.get(1),
                        timestampMillis), (String) r.get(0), (Long) r.get(2) == 1L)));
    }

    @Override
    public CompletionStage<Position> position(String room) {
        return call(redis -> POSITION.<List<Object>>run(redis, ScriptOutputType.MULTI, keys(room), ttlArg(room), newEpoch())
                .thenApply(r -> new Position((Long) r.get(1), (String) r.get(0))));
    }

    @Override
    public CompletionStage<Recovery> recover(String room, long offset, String epoch) {
        Objects.requireNonNull(epoch, "epoch");
        String want = Long.toString(Math.min(offset, MAX_LUA_INTEGER));
        return call(redis -> RECOVER.<List<Object>>run(redis, ScriptOutputType.MULTI, keys(room),
                        ttlArg(room), newEpoch(), want, epoch)
                .thenApply(r -> {
                    Position position = new Position((Long) r.get(1), (String) r.get(0));
                    boolean recovered = (Long) r.get(2) == 1L;
                    return new Recovery(recovered, decode(room, r, 3), position);
                }));
    }

    @Override
    public CompletionStage<Page> read(String room, Long afterOffset, int limit) {
        if (limit < 0) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("limit must be >= 0, was " + limit));
        }
        String after = afterOffset == null ? "" : Long.toString(Math.min(afterOffset, MAX_LUA_INTEGER));
        return call(redis -> READ.<List<Object>>run(redis, ScriptOutputType.MULTI, keys(room),
                        ttlArg(room), newEpoch(), after, Integer.toString(limit))
                .thenApply(r -> new Page((String) r.get(0), decode(room, r, 1))));
    }

    /** Closes the connection; calls in flight fail. Idempotent; do not call it from a completion callback. */
    @Override
    public void close() {
        connector.close();
        lettuce.close();
    }

    @Override
    public String toString() {
        return "RedisHistoryStore[" + settings.address() + "]";
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

    /**
     * An append: with {@code redis.replicaAcks}, on the connection to the master of the room's slot, so that the
     * {@code WAIT} after it (see {@link #replicated}) counts the replicas of this very write; otherwise routed.
     */
    private <T> CompletionStage<T> write(String key, Function<RedisClusterAsyncCommands<String, String>, CompletableFuture<T>> op) {
        if (settings.replicaAcks() == 0) {
            return call(op);
        }
        return watch(connector.await().thenCompose(c -> c.pinned(key)).thenCompose(op));
    }

    /**
     * With {@code redis.replicaAcks}, holds an append until that many replicas confirmed it (Redis {@code WAIT}),
     * so that a failover to a replica cannot lose an acknowledged message. Fewer confirmations within half the
     * deadline fail the append; the message is in the master's history all the same and reaches members
     * through the tail check, so a publisher that retries should use an idempotency key.
     */
    private <T> CompletableFuture<T> replicated(RedisClusterAsyncCommands<String, String> redis, T appended) {
        int wanted = settings.replicaAcks();
        if (wanted == 0) {
            return CompletableFuture.completedFuture(appended);
        }
        return redis.waitForReplication(wanted, Math.max(1, timeout.toMillis() / 2)).toCompletableFuture()
                .thenApply(confirmed -> {
                    if (confirmed < wanted) {
                        throw new IllegalStateException("appended on the master but confirmed by " + confirmed + " of "
                                + wanted + " replicas within " + timeout.toMillis() / 2 + " ms (redis.replicaAcks)");
                    }
                    return appended;
                });
    }

    private String[] keys(String room) {
        String base = settings.keyPrefix() + "history:{" + room + "}:";
        return new String[] {base + "meta", base + "log"};
    }

    private String ttlArg(String room) {
        return Long.toString(Math.max(1, retention.retention(room).ttl().toMillis()));
    }

    private static String newEpoch() {
        return Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36);
    }

    private String encode(String from, String connId, String content, JsonNode data, long ts)
            throws JsonProcessingException {
        return codec.encode(from, connId, content, data, ts);
    }

    /** The messages in {@code r} from index {@code first} on, as pairs of stream id and JSON. */
    private List<RoomMessage> decode(String room, List<Object> r, int first) {
        List<RoomMessage> out = new ArrayList<>((r.size() - first) / 2);
        for (int i = first; i + 1 < r.size(); i += 2) {
            String id = (String) r.get(i);
            out.add(codec.decode(room, Long.parseLong(id.substring(0, id.indexOf('-'))), (String) r.get(i + 1)));
        }
        return List.copyOf(out);
    }
}
