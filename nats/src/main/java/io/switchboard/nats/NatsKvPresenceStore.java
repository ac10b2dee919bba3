package io.switchboard.nats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValueManagement;
import io.nats.client.Message;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueStatus;
import io.nats.client.api.StorageType;
import io.nats.client.impl.Headers;
import io.switchboard.core.presence.PresenceStore;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ServerMessage.Member;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Presence shared by the nodes of a cluster, kept in a NATS KV bucket with file storage. Thread-safe.
 *
 * <p>Bucket {@code <PREFIX>_PRESENCE} (the subject prefix with dots as underscores), one revision per key,
 * every entry expiring {@code ttl} after it was last written (the bucket's max age), so a dead node's
 * members vanish on their own; {@link #refresh} writes a node's entries again. Keys:
 * <ul>
 *   <li>{@code m.<room>.<connId>} for a member, value {@code {"u":user,"c":connId,"n":node,"i":info}};</li>
 *   <li>{@code u.<user>.<connId>} for a connection, value {@code {"c":connId,"n":node}};</li>
 * </ul>
 * each token escaped as {@link Subjects} escapes a channel. Leaving purges the key.
 *
 * <p>Nothing blocks: writes are asynchronous publishes to the bucket's subjects, acknowledged by JetStream;
 * listing a room or a user reads the last message of each key under its prefix in one batch with an
 * ephemeral consumer ({@link SubjectFetch#lastPerSubject}), so it is linear in the room's members, and
 * {@link #page} sorts them all and returns the page. Concurrent listings of one room share reads (see
 * {@link #list}).
 */
public final class NatsKvPresenceStore implements PresenceStore {
    private static final Comparator<Member> MEMBER_ORDER = Comparator.comparing(Member::userId)
            .thenComparing(Member::connId);

    private final Duration timeout;
    private final String bucket;
    private final String stream;
    private final NatsLink<Dispatcher> link;
    /** Per key filter being read, the calls waiting for the next read. Guarded by itself. */
    private final Map<String, Reads> reads = new HashMap<>();
    private final ObjectMapper json = new JsonCodec().mapper();

    /**
     * Starts connecting in the background; never blocks or fails for an unreachable server.
     *
     * @param timeout deadline of each request (the cluster's call deadline)
     * @param ttl how long an entry lives after its last write (the cluster's presence ttl)
     */
    public NatsKvPresenceStore(NatsSettings settings, Duration timeout, Duration ttl) {
        Objects.requireNonNull(settings, "settings");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.bucket = bucketName(settings.subjectPrefix());
        KeyValueConfiguration config = KeyValueConfiguration.builder().name(bucket).maxHistoryPerKey(1).ttl(ttl)
                .storageType(StorageType.File).build();
        this.stream = "KV_" + bucket;
        this.link = new NatsLink<Dispatcher>("presence " + bucket, settings, timeout, c -> {
            ensureBucket(c, config, ttl);
            return c.createDispatcher();
        }).start();
    }

    /** The bucket holding the presence of the nodes using this subject prefix. */
    public static String bucketName(String subjectPrefix) {
        return subjectPrefix.replace('.', '_').toUpperCase(java.util.Locale.ROOT) + "_PRESENCE";
    }

    private static void ensureBucket(Connection c, KeyValueConfiguration config, Duration ttl) throws IOException,
            JetStreamApiException {
        KeyValueManagement kvm = c.keyValueManagement();
        try {
            KeyValueStatus existing = kvm.getStatus(config.getBucketName());
            // Only the TTL follows the configuration: replicas and placement an operator set are kept.
            if (!existing.getTtl().equals(ttl)) {
                kvm.update(KeyValueConfiguration.builder(existing.getConfiguration()).ttl(ttl).build());
            }
        } catch (JetStreamApiException e) {
            if (e.getErrorCode() != 404) {
                throw e;
            }
            kvm.create(config);
        }
    }

    /** Members that joined through this node, by room: what decides occupancy here (see {@link #join}). */
    private final ConcurrentHashMap<String, Set<String>> localMembers = new ConcurrentHashMap<>();
    /** This node's connections ({@code user NUL conn}): the first disconnect takes one. */
    private final Set<String> localConnections = ConcurrentHashMap.newKeySet();

    /**
     * Occupancy is decided per node here: a KV bucket has no atomic read-modify-write across a room's keys, so
     * {@code occupied} / {@code vacated} follow the members that joined through this node (documented in
     * webhooks.md), and "the first removal takes it" holds for this node's own members.
     */
    @Override
    public CompletionStage<Boolean> join(String room, String nodeId, String userId, String connId, JsonNode info) {
        ObjectNode v = json.createObjectNode().put("u", userId).put("c", connId).put("n", nodeId);
        if (info != null) {
            v.set("i", info);
        }
        return put(memberKey(room, connId), v).thenApply(done -> {
            boolean[] first = new boolean[1];
            localMembers.compute(room, (r, conns) -> {
                Set<String> set = conns == null ? ConcurrentHashMap.newKeySet() : conns;
                boolean wasEmpty = set.isEmpty();
                first[0] = set.add(connId) && wasEmpty;
                return set;
            });
            return first[0];
        });
    }

    @Override
    public CompletionStage<Leave> leave(String room, String nodeId, String connId) {
        return purge(memberKey(room, connId)).thenApply(done -> {
            boolean[] result = new boolean[2];
            localMembers.computeIfPresent(room, (r, conns) -> {
                result[0] = conns.remove(connId);
                result[1] = result[0] && conns.isEmpty();
                return conns.isEmpty() ? null : conns;
            });
            return new Leave(result[0], result[1]);
        });
    }

    @Override
    public CompletionStage<List<Member>> members(String room) {
        return list("m." + Subjects.token(room) + ".>").thenApply(entries -> {
            List<Member> out = new ArrayList<>(entries.size());
            for (JsonNode v : entries) {
                JsonNode info = v.get("i");
                out.add(new Member(v.path("u").asText(), v.path("c").asText(),
                        info == null || info.isNull() ? null : info));
            }
            out.sort(MEMBER_ORDER);
            return List.copyOf(out);
        });
    }

    @Override
    public CompletionStage<Void> connect(String userId, String connId, String nodeId) {
        localConnections.add(userId + "\u0000" + connId);
        return put(userKey(userId, connId), json.createObjectNode().put("c", connId).put("n", nodeId));
    }

    @Override
    public CompletionStage<Boolean> disconnect(String userId, String nodeId, String connId) {
        return purge(userKey(userId, connId)).thenApply(done -> localConnections.remove(userId + "\u0000" + connId));
    }

    @Override
    public CompletionStage<List<UserConnection>> connections(String userId) {
        return list("u." + Subjects.token(userId) + ".>").thenApply(entries -> entries.stream()
                .map(v -> new UserConnection(userId, v.path("c").asText(), v.path("n").asText()))
                .sorted(Comparator.comparing(UserConnection::connId))
                .toList());
    }

    /**
     * Writes every entry again. All but the last go without waiting for an acknowledgement; the last is
     * acknowledged, and JetStream handles one connection's messages in order, so its ack means all were seen.
     */
    @Override
    public CompletionStage<Void> refresh(String nodeId, Collection<RoomMember> members,
                                         Collection<UserConnection> users) {
        return link.ready().thenCompose(live -> {
            List<String> keys = new ArrayList<>(members.size() + users.size());
            List<byte[]> values = new ArrayList<>(members.size() + users.size());
            for (RoomMember m : members) {
                ObjectNode v = json.createObjectNode().put("u", m.userId()).put("c", m.connId()).put("n", nodeId);
                if (m.info() != null) {
                    v.set("i", m.info());
                }
                keys.add(memberKey(m.room(), m.connId()));
                values.add(bytes(v));
            }
            for (UserConnection u : users) {
                keys.add(userKey(u.userId(), u.connId()));
                values.add(bytes(json.createObjectNode().put("c", u.connId()).put("n", nodeId)));
            }
            if (keys.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            Connection c = live.connection();
            try {
                for (int i = 0; i < keys.size() - 1; i++) {
                    c.publish(subject(keys.get(i)), values.get(i));
                }
            } catch (IllegalStateException e) {
                return CompletableFuture.failedFuture(e);
            }
            return acked(c, subject(keys.get(keys.size() - 1)), null, values.get(values.size() - 1));
        });
    }

    /** Closes the connection; calls in flight fail. Idempotent. */
    @Override
    public void close() {
        link.close();
    }

    @Override
    public String toString() {
        return "NatsKvPresenceStore[" + bucket + "]";
    }

    private CompletionStage<Void> put(String key, ObjectNode value) {
        byte[] body = bytes(value);
        return link.ready().thenCompose(live -> acked(live.connection(), subject(key), null, body));
    }

    /** Purges the key: a delete marker that also drops its history, as {@code KeyValue.purge} sends. */
    private CompletionStage<Void> purge(String key) {
        Headers h = new Headers().put("KV-Operation", "PURGE").put("Nats-Rollup", "sub");
        return link.ready().thenCompose(live -> acked(live.connection(), subject(key), h, new byte[0]));
    }

    private CompletableFuture<Void> acked(Connection c, String subject, Headers headers, byte[] body) {
        return NatsLink.request(c, subject, headers, body, timeout).thenApply(reply -> {
            if (reply.isStatusMessage()) {
                throw new CompletionException(new IllegalStateException("KV bucket " + bucket
                        + " did not take the write: " + reply.getStatus().getMessageWithCode()));
            }
            String text = new String(reply.getData(), java.nio.charset.StandardCharsets.UTF_8);
            if (text.contains("\"error\"")) {
                throw new CompletionException(new IllegalStateException("KV bucket " + bucket
                        + " refused the write: " + text));
            }
            return null;
        });
    }

    /**
     * The live values of the keys matching {@code filter}, read by a read that started after this call: while
     * one read of the filter runs, the calls arriving meanwhile wait and share the next, so a burst of joins
     * to one room costs two reads, not one each.
     */
    private CompletableFuture<List<JsonNode>> list(String filter) {
        Reads r;
        synchronized (reads) {
            r = reads.get(filter);
            if (r != null) {
                if (r.queued == null) {
                    r.queued = new CompletableFuture<>();
                }
                return r.queued.copy();
            }
            r = new Reads();
            reads.put(filter, r);
        }
        Reads running = r;
        CompletableFuture<List<JsonNode>> read = read(filter);
        read.whenComplete((v, e) -> next(filter, running));
        return read.copy();
    }

    /** A read of {@code filter} ended: starts the one its waiting calls share, or forgets the filter. */
    private void next(String filter, Reads r) {
        CompletableFuture<List<JsonNode>> waiting;
        synchronized (reads) {
            waiting = r.queued;
            r.queued = null;
            if (waiting == null) {
                reads.remove(filter);
                return;
            }
        }
        read(filter).whenComplete((v, e) -> {
            if (e != null) {
                waiting.completeExceptionally(e);
            } else {
                waiting.complete(v);
            }
            next(filter, r);
        });
    }

    /** The calls waiting for the next read of one filter. Guarded by {@link #reads}. */
    private static final class Reads {
        CompletableFuture<List<JsonNode>> queued;
    }

    /** The live values of the keys matching {@code filter}: deleted and purged keys leave markers, skipped. */
    private CompletableFuture<List<JsonNode>> read(String filter) {
        return link.ready().toCompletableFuture().thenCompose(live -> SubjectFetch.lastPerSubject(live.connection(),
                live.prepared(), stream, subject(filter), timeout)).thenApply(messages -> {
                    List<JsonNode> out = new ArrayList<>(messages.size());
                    for (Message m : messages) {
                        if (m.hasHeaders() && m.getHeaders().getFirst("KV-Operation") != null) {
                            continue;
                        }
                        try {
                            out.add(json.readTree(m.getData()));
                        } catch (IOException e) {
                            throw new CompletionException(new IllegalStateException("unreadable presence entry "
                                    + m.getSubject() + " in " + bucket, e));
                        }
                    }
                    return out;
                });
    }

    private String subject(String key) {
        return "$KV." + bucket + "." + key;
    }

    private static String memberKey(String room, String connId) {
        return "m." + Subjects.token(room) + "." + Subjects.token(connId);
    }

    private static String userKey(String userId, String connId) {
        return "u." + Subjects.token(userId) + "." + Subjects.token(connId);
    }

    private byte[] bytes(ObjectNode value) {
        try {
            return json.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a presence entry", e);
        }
    }
}
