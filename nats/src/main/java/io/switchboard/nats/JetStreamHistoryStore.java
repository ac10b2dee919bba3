package io.switchboard.nats;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import io.switchboard.core.history.HistoryStore;
import io.switchboard.core.history.Retention;
import io.switchboard.core.history.StoredMessages;
import io.switchboard.protocol.ServerMessage.RoomMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * History shared by the nodes of a cluster, kept in one NATS JetStream stream with file storage. Thread-safe;
 * no call blocks the caller: every request to NATS is asynchronous, and the stream is created or updated on
 * the connection's own thread ({@link NatsLink}).
 *
 * <h2>Layout</h2>
 * <ul>
 *   <li><b>One stream</b>, {@code <PREFIX>_HISTORY} (the subject prefix with dots as underscores), over
 *       {@code <prefix>.hist.>}; each room is one subject, {@code <prefix>.hist.<escaped room>} (the
 *       escaping of {@link Subjects}). One stream rather than one per room: JetStream's per-stream cost
 *       (a file set, a Raft group when replicated) would grow with the rooms; the per-subject limit
 *       bounds each room instead.</li>
 *   <li><b>Limits</b>: at most {@code maxMessagesPerRoom} messages per subject (old ones discarded) and
 *       {@code maxAge}; each room's own retention ({@link Retention}) is applied on reading: a room keeping
 *       fewer messages, or for less time, than the stream shows only its newest, and a room keeping none
 *       shows none while its last message still holds its offset.</li>
 *   <li><b>Offsets</b> are not stream sequences (those count every room): each message carries its room's
 *       offset and epoch in headers {@code Sb-Offset} and {@code Sb-Epoch}. An append reads the room's last
 *       message and publishes the next offset with {@code Nats-Expected-Last-Subject-Sequence} set to that
 *       message's sequence; if another node appended meanwhile, JetStream refuses (error 10071) and the
 *       append starts over. So offsets are gap-free and assigned atomically across nodes.</li>
 *   <li><b>Epochs</b>: a room with no message starts a lineage with a random epoch, written with its first
 *       message, or by {@link #position} as a marker at offset 0. A stream that is deleted or recreated, a
 *       server that lost its storage, or a room whose every message aged out ({@code maxAge}) has no last
 *       message, so its next lineage gets a new epoch and clients of the old one get {@code recovered:false}.
 *       A server restarted with its file storage keeps offsets and epochs.</li>
 *   <li><b>Idempotency</b>: an append with a key sends {@code Nats-Msg-Id}; JetStream stores it once within
 *       the stream's duplicate window (the longest window used, {@code duplicateWindow}) and acknowledges a
 *       repeat with the first one's sequence, whose offset is then read back. A repeat of a message older
 *       than the call's shorter window, or of one no longer retained, is appended under a new id derived
 *       from the old sequence, so racing nodes still agree.</li>
 * </ul>
 *
 * <p>Reading finds the first message wanted with direct gets ({@code $JS.API.DIRECT.GET}, the room's next
 * message from a stream sequence): looking back from the room's last message by the number of offsets
 * wanted, which lands on it at once when the room is the stream's only busy one, else a galloping and
 * binary search over stream sequences (at most about 2 log2 of the stream's sequence round trips). The
 * messages from there are read by direct gets sent all at once when they follow each other in the stream
 * (up to {@value StreamReader#DIRECT_READS}), else in one batch by an ephemeral pull consumer ({@link SubjectFetch}).
 *
 * <p>Recovering clients of one room usually arrive together (a node lost, a reconnect storm) and ask for the
 * same newest messages: each store holds its rooms' newest messages, those it appended or read, in memory
 * ({@link RecentEntries}, {@value #RECENT_PER_ROOM} per room, {@code RECENT_BYTES} in all) and serves a
 * recovery from there after reading the room's position, so the stream is read once per gap, not once per
 * client.
 *
 * <p>An append normally costs one round trip: the store remembers each room's last entry (up to
 * {@value #CACHED_ROOMS} rooms) and publishes against it; only when another node appended meanwhile does
 * JetStream refuse, and the append reads the room's last message and tries again.
 */
public final class JetStreamHistoryStore implements HistoryStore {
    static final String OFFSET = "Sb-Offset";
    static final String EPOCH = "Sb-Epoch";
    private static final String EXPECTED_LAST_SUBJECT_SEQUENCE = "Nats-Expected-Last-Subject-Sequence";
    private static final String MSG_ID = "Nats-Msg-Id";
    /** JetStream's "wrong last sequence": another node appended to the room first. */
    private static final int WRONG_LAST_SEQUENCE = 10071;
    /** Appends that lose the race this often in a row give up: the room is busier than one store can order. */
    private static final int MAX_ATTEMPTS = 1000;
    private static final SecureRandom RANDOM = new SecureRandom();
    static final int CACHED_ROOMS = 10_000;
    /** Messages per room held in memory ({@link RecentEntries}): a gap clients commonly recover after a blip. */
    static final int RECENT_PER_ROOM = 1000;
    /** Bytes of message data held in memory across rooms. */
    static final long RECENT_BYTES = 64L << 20;

    private final Retention.Lookup retention;
    private final Duration timeout;
    private final String stream;
    private final Subjects subjects;
    private final NatsLink<Dispatcher> link;
    /**
     * The last entry this store appended or read per room, so that an append needs no read first: it
     * publishes with that entry's sequence as the expected one, and reads only when JetStream refuses.
     * A hint, never trusted for more. Bounded: the least recently used room is forgotten beyond
     * {@value #CACHED_ROOMS}. Guarded by itself.
     */
    private final Map<String, HistoryEntry> lastEntries = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, HistoryEntry> eldest) {
            return size() > CACHED_ROOMS;
        }
    };
    private final StoredMessages codec = new StoredMessages();
    private final StreamReader reader;
    /** The newest messages of the rooms this store appended to or read, for recoveries that come together. */
    private final RecentEntries recent = new RecentEntries(RECENT_PER_ROOM, RECENT_BYTES);
    /** Each room's latest append from this store, while one is in flight. Guarded by itself. */
    private final Map<String, CompletableFuture<?>> appending = new HashMap<>();

    /**
     * Starts connecting in the background; never blocks or fails for an unreachable server.
     *
     * @param timeout deadline of each request (the cluster's call deadline); positive
     * @param retention each room's size and ttl, asked on every call (must answer at once); no room may keep
     *     more than {@code maxMessagesPerRoom} or longer than {@code maxAge}
     * @param maxMessagesPerRoom the stream's per-subject limit, {@code >= 1} (a room keeping none still needs
     *     its last message for its offset)
     * @param maxAge the stream's age limit, and how long an unused room keeps its lineage
     * @param duplicateWindow the stream's deduplication window, the longest idempotency window used; at most
     *     {@code maxAge}
     */
    public JetStreamHistoryStore(NatsSettings settings, Duration timeout, Retention.Lookup retention,
                                 int maxMessagesPerRoom, Duration maxAge, Duration duplicateWindow) {
        Objects.requireNonNull(settings, "settings");
        this.retention = Objects.requireNonNull(retention, "retention");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (maxMessagesPerRoom < 1) {
            throw new IllegalArgumentException("maxMessagesPerRoom must be >= 1, was " + maxMessagesPerRoom);
        }
        if (maxAge.toMillis() < 1 || duplicateWindow.toMillis() < 1 || duplicateWindow.compareTo(maxAge) > 0) {
            throw new IllegalArgumentException("need 0 < duplicateWindow <= maxAge, were " + duplicateWindow
                    + " and " + maxAge);
        }
        this.stream = streamName(settings.subjectPrefix());
        this.subjects = new Subjects(settings.subjectPrefix() + ".hist");
        this.reader = new StreamReader(stream, timeout);
        StreamConfiguration config = StreamConfiguration.builder()
                .name(stream)
                .subjects(settings.subjectPrefix() + ".hist.>")
                .storageType(StorageType.File)
                .maxMessagesPerSubject(maxMessagesPerRoom)
                .maxAge(maxAge)
                .duplicateWindow(duplicateWindow)
                .discardPolicy(DiscardPolicy.Old)
                .allowDirect(true)
                .build();
        this.link = new NatsLink<Dispatcher>("history " + stream, settings, timeout, c -> {
            ensureStream(c, config);
            return c.createDispatcher();
        }).start();
    }

    /** The stream holding the history of the nodes using this subject prefix. */
    public static String streamName(String subjectPrefix) {
        return subjectPrefix.replace('.', '_').toUpperCase(java.util.Locale.ROOT) + "_HISTORY";
    }

    private static void ensureStream(Connection c, StreamConfiguration config) throws IOException,
            JetStreamApiException {
        JetStreamManagement jsm = c.jetStreamManagement();
        try {
            StreamConfiguration existing = jsm.getStreamInfo(config.getName()).getConfiguration();
            // Only the limits follow the configuration: replicas and placement an operator set are kept.
            if (existing.getMaxMsgsPerSubject() != config.getMaxMsgsPerSubject()
                    || !existing.getMaxAge().equals(config.getMaxAge())
                    || !existing.getDuplicateWindow().equals(config.getDuplicateWindow()) || !existing.getAllowDirect()) {
                jsm.updateStream(StreamConfiguration.builder(existing)
                        .maxMessagesPerSubject(config.getMaxMsgsPerSubject()).maxAge(config.getMaxAge())
                        .duplicateWindow(config.getDuplicateWindow()).allowDirect(true).build());
            }
        } catch (JetStreamApiException e) {
            if (e.getErrorCode() != 404) {
                throw e;
            }
            jsm.addStream(config);
        }
    }

    // ---- the contract ----

    @Override
    public CompletionStage<Appended> append(String room, String from, String connId, String content,
                                            JsonNode data, long timestampMillis) {
        return append(room, from, connId, content, data, timestampMillis, null, null);
    }

    @Override
    public CompletionStage<Appended> append(String room, String from, String connId, String content, JsonNode data,
                                            long timestampMillis, String idempotencyKey, Duration window) {
        byte[] body;
        String subject;
        try {
            body = codec.encode(from, connId, content, data, timestampMillis).getBytes(StandardCharsets.UTF_8);
            subject = subjects.subject(room);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        String msgId = idempotencyKey == null ? null : Subjects.token(room) + "." + Subjects.token(idempotencyKey);
        return inTurn(subject, () -> link.ready().toCompletableFuture()
                        .thenCompose(live -> new Append(live.connection(), subject, body, window).attempt(msgId, 1)))
                .thenApply(a -> new Appended(new RoomMessage(room, from, connId, content, data, a.offset(),
                        timestampMillis), a.epoch(), a.duplicate()));
    }

    @Override
    public CompletionStage<Position> position(String room) {
        String subject;
        try {
            subject = subjects.subject(room);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        return link.ready().thenCompose(live -> position(live.connection(), subject, 1))
                .thenApply(e -> new Position(e.offset(), e.epoch()));
    }

    @Override
    public CompletionStage<Recovery> recover(String room, long offset, String epoch) {
        Objects.requireNonNull(epoch, "epoch");
        String subject;
        try {
            subject = subjects.subject(room);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        Retention keep = retention.retention(room);
        return link.ready().thenCompose(live -> position(live.connection(), subject, 1).thenCompose(last -> {
            Position at = new Position(last.offset(), last.epoch());
            Recovery refused = new Recovery(false, List.of(), at);
            if (!last.epoch().equals(epoch) || offset > last.offset() || offset < 0) {
                return CompletableFuture.completedFuture(refused);
            }
            if (offset == last.offset()) {
                return CompletableFuture.completedFuture(new Recovery(true, List.of(), at));
            }
            if (last.offset() - offset > keep.size()) {
                return CompletableFuture.completedFuture(refused);
            }
            Predicate<HistoryEntry> visible = visible(keep, last.offset());
            return entries(live, subject, last, offset, (int) (last.offset() - offset))
                    .thenApply(found -> {
                        boolean complete = found.size() == last.offset() - offset
                                && found.stream().allMatch(visible)
                                && (found.isEmpty() || found.get(0).offset() == offset + 1);
                        return complete ? new Recovery(true, messages(room, found), at) : refused;
                    });
        }));
    }

    @Override
    public CompletionStage<Page> read(String room, Long afterOffset, int limit) {
        if (limit < 0) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("limit must be >= 0, was " + limit));
        }
        String subject;
        try {
            subject = subjects.subject(room);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        Retention keep = retention.retention(room);
        return link.ready().thenCompose(live -> position(live.connection(), subject, 1).thenCompose(last -> {
            if (limit == 0 || last.offset() == 0) {
                return CompletableFuture.completedFuture(new Page(last.epoch(), List.of()));
            }
            // Only offsets after this can be on the page: the room's size, the limit from the end, or the cursor.
            long after = Math.max(last.offset() - keep.size(),
                    afterOffset == null ? last.offset() - limit : Math.max(afterOffset, 0));
            if (after >= last.offset()) {
                return CompletableFuture.completedFuture(new Page(last.epoch(), List.of()));
            }
            Predicate<HistoryEntry> wanted = visible(keep, last.offset()).and(e -> e.offset() > after);
            return entries(live, subject, last, after, limit)
                    .thenApply(found -> new Page(last.epoch(), messages(room, found.stream().filter(wanted).toList())));
        }));
    }

    /** Whether the link to NATS is up. */
    public boolean isConnected() {
        return link.isConnected();
    }

    /** Closes the connection; calls in flight fail. Idempotent. */
    @Override
    public void close() {
        link.close();
    }

    @Override
    public String toString() {
        return "JetStreamHistoryStore[" + stream + "]";
    }

    // ---- appending ----

    /**
     * Runs a room's appends from this store one after the other, in call order. Concurrent appends to one room
     * would all publish against the same last entry and all but one be refused, again and again; in turn, only
     * appends from other nodes can collide. The wait is bounded by the caller's cap on calls in flight
     * ({@code cluster.maxPending}); a room's entry goes when its last append completes.
     */
    private <T> CompletableFuture<T> inTurn(String subject, Supplier<CompletableFuture<T>> append) {
        CompletableFuture<T> turn;
        synchronized (appending) {
            CompletableFuture<?> previous = appending.get(subject);
            turn = previous == null ? append.get()
                    : previous.handle((v, e) -> null).thenCompose(ignored -> append.get());
            appending.put(subject, turn);
        }
        turn.whenComplete((v, e) -> {
            synchronized (appending) {
                appending.remove(subject, turn);
            }
        });
        return turn;
    }

    private record Result(long offset, String epoch, boolean duplicate) {
    }

    /** One append, tried until it wins the room's next offset or finds its duplicate. */
    private final class Append {
        private final Connection c;
        private final String subject;
        private final byte[] body;
        private final Duration window;

        Append(Connection c, String subject, byte[] body, Duration window) {
            this.c = c;
            this.subject = subject;
            this.body = body;
            this.window = window;
        }

        CompletableFuture<Result> attempt(String msgId, int attempt) {
            HistoryEntry cached = attempt == 1 ? cached(subject) : null;
            CompletableFuture<HistoryEntry> known = cached != null ? CompletableFuture.completedFuture(cached)
                    : last(c, subject);
            return known.thenCompose(last -> {
                String epoch = last == null ? newEpoch() : last.epoch();
                long offset = last == null ? 1 : last.offset() + 1;
                Headers h = new Headers()
                        .put(OFFSET, Long.toString(offset))
                        .put(EPOCH, epoch)
                        .put(EXPECTED_LAST_SUBJECT_SEQUENCE, Long.toString(last == null ? 0 : last.seq()));
                if (msgId != null) {
                    h.put(MSG_ID, msgId);
                }
                return publish(c, subject, h, body).handle((ack, failure) -> {
                    if (failure == null) {
                        if (ack.isDuplicate()) {
                            return duplicate(msgId, ack.getSeqno(), attempt);
                        }
                        HistoryEntry appended = new HistoryEntry(ack.getSeqno(), offset, epoch, Instant.now(), body);
                        remember(subject, appended);
                        recent.add(subject, appended);
                        return CompletableFuture.completedFuture(new Result(offset, epoch, false));
                    }
                    if (apiError(failure) == WRONG_LAST_SEQUENCE && attempt < MAX_ATTEMPTS) {
                        return attempt(msgId, attempt + 1);
                    }
                    return CompletableFuture.<Result>failedFuture(failure);
                }).thenCompose(f -> f);
            });
        }

        /** JetStream kept {@code msgId} as sequence {@code seq}: that message's offset, if it still counts. */
        private CompletableFuture<Result> duplicate(String msgId, long seq, int attempt) {
            return reader.get(c, "{\"seq\":" + seq + "}").thenCompose(first -> last(c, subject).thenCompose(last -> {
                boolean counts = first != null && subject.equals(first.subject())
                        && last != null && first.entry().epoch().equals(last.epoch())
                        && (window == null || !first.entry().time().isBefore(Instant.now().minus(window)));
                if (counts) {
                    return CompletableFuture.completedFuture(
                            new Result(first.entry().offset(), first.entry().epoch(), true));
                }
                // Outside this call's window, or gone: a new message under an id that every node derives alike.
                return attempt(msgId + "." + seq, attempt + 1);
            }));
        }
    }

    /**
     * The room's last entry; a room without one gets a lineage marker (offset 0, a new epoch), written so
     * that every node agrees on the epoch before the first append.
     */
    private CompletableFuture<HistoryEntry> position(Connection c, String subject, int attempt) {
        return last(c, subject).thenCompose(last -> {
            if (last != null) {
                return CompletableFuture.completedFuture(last);
            }
            String epoch = newEpoch();
            Headers h = new Headers().put(OFFSET, "0").put(EPOCH, epoch).put(EXPECTED_LAST_SUBJECT_SEQUENCE, "0");
            return publish(c, subject, h, new byte[0]).handle((ack, failure) -> {
                if (failure == null) {
                    return CompletableFuture.completedFuture(new HistoryEntry(ack.getSeqno(), 0, epoch, Instant.now(),
                            new byte[0]));
                }
                if (apiError(failure) == WRONG_LAST_SEQUENCE && attempt < MAX_ATTEMPTS) {
                    return position(c, subject, attempt + 1);
                }
                return CompletableFuture.<HistoryEntry>failedFuture(failure);
            }).thenCompose(f -> f);
        });
    }

    private CompletableFuture<PublishAck> publish(Connection c, String subject, Headers headers, byte[] body) {
        return NatsLink.request(c, subject, headers, body, timeout).thenApply(reply -> {
            if (reply.isStatusMessage()) {
                throw new CompletionException(new IllegalStateException("JetStream did not store the message: "
                        + reply.getStatus().getMessageWithCode() + " (is stream " + stream + " there?)"));
            }
            try {
                return new PublishAck(reply);
            } catch (IOException | JetStreamApiException e) {
                throw new CompletionException(e);
            }
        });
    }

    private static int apiError(Throwable failure) {
        Throwable t = failure;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t instanceof JetStreamApiException j ? j.getApiErrorCode() : -1;
    }

    // ---- reading ----

    private CompletableFuture<HistoryEntry> last(Connection c, String subject) {
        return reader.get(c, "{\"last_by_subj\":\"" + subject + "\"}").thenApply(g -> {
            if (g == null) {
                forget(subject);
                return null;
            }
            remember(subject, g.entry());
            return g.entry();
        });
    }

    private HistoryEntry cached(String subject) {
        synchronized (lastEntries) {
            return lastEntries.get(subject);
        }
    }

    /** Keeps {@code e} as the room's last entry unless a later one is known already. */
    private void remember(String subject, HistoryEntry e) {
        synchronized (lastEntries) {
            HistoryEntry known = lastEntries.get(subject);
            if (known == null || known.seq() < e.seq() || !known.epoch().equals(e.epoch())) {
                lastEntries.put(subject, e);
            }
        }
    }

    private void forget(String subject) {
        synchronized (lastEntries) {
            lastEntries.remove(subject);
        }
    }

    /**
     * The room's entries after offset {@code after} (before {@code last}'s), at most {@code max}, in order: from
     * memory when {@link #recent} holds them all, else what it holds and the rest from the stream, which is
     * then held too.
     */
    private CompletableFuture<List<HistoryEntry>> entries(NatsLink.Live<Dispatcher> live, String subject,
                                                          HistoryEntry last, long after, int max) {
        long upTo = Math.min(last.offset(), after + max);
        List<HistoryEntry> held = recent.range(subject, last.epoch(), after, upTo);
        if (held != null) {
            return CompletableFuture.completedFuture(held);
        }
        HistoryEntry resume = recent.newest(subject, last.epoch(), after);
        long from = resume != null && resume.offset() > after ? resume.offset() : after;
        List<HistoryEntry> prefix = from == after ? List.of() : recent.range(subject, last.epoch(), after, from);
        if (prefix == null) {
            return entries(live, subject, last, after, max, after, List.of());
        }
        return entries(live, subject, last, after, max, from, prefix);
    }

    private CompletableFuture<List<HistoryEntry>> entries(NatsLink.Live<Dispatcher> live, String subject,
                                                          HistoryEntry last, long after, int max, long from,
                                                          List<HistoryEntry> prefix) {
        long upTo = Math.min(last.offset(), after + max);
        return reader.seek(live.connection(), subject, last, from)
                .thenCompose(first -> reader.read(live, subject, first, last, (int) (upTo - from)))
                .thenApply(found -> {
                    List<HistoryEntry> out = new ArrayList<>(prefix.size() + found.size());
                    out.addAll(prefix);
                    for (HistoryEntry e : found) {
                        recent.add(subject, e);
                        if (e.offset() > from && e.offset() <= upTo) {
                            out.add(e);
                        }
                    }
                    return out;
                });
    }

    /** What a room keeping {@code keep} shows when its last offset is {@code last}: no markers, its newest, its recent. */
    private static Predicate<HistoryEntry> visible(Retention keep, long last) {
        Instant oldest = Instant.now().minus(keep.ttl());
        return e -> e.offset() >= 1 && e.offset() > last - keep.size() && !e.time().isBefore(oldest);
    }

    private List<RoomMessage> messages(String room, List<HistoryEntry> entries) {
        List<RoomMessage> out = new ArrayList<>(entries.size());
        for (HistoryEntry e : entries) {
            out.add(codec.decode(room, e.offset(), new String(e.data(), StandardCharsets.UTF_8)));
        }
        return List.copyOf(out);
    }

    private static String newEpoch() {
        return Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36);
    }
}
