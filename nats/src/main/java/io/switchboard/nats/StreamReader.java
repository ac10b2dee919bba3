package io.switchboard.nats;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.impl.Headers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Reads a room's messages from the history stream for {@link JetStreamHistoryStore}: one message by direct
 * get, the first message after an offset by a search over stream sequences, and a run of messages by
 * direct gets sent at once or by a consumer batch. Thread-safe and stateless; nothing blocks.
 */
final class StreamReader {
    /** Reads of at most this many messages stored one after the other use direct gets, all sent at once. */
    static final int DIRECT_READS = 1000;
    private static final String SEQUENCE = "Nats-Sequence";
    private static final String TIME = "Nats-Time-Stamp";
    private static final String SUBJECT = "Nats-Subject";

    private final String stream;
    private final Duration timeout;

    StreamReader(String stream, Duration timeout) {
        this.stream = stream;
        this.timeout = timeout;
    }

    /** A direct get's answer: the message's subject and entry. */
    record Got(String subject, HistoryEntry entry) {
    }

    /** One direct get; null when there is no such message. */
    CompletableFuture<Got> get(Connection c, String request) {
        return NatsLink.request(c, "$JS.API.DIRECT.GET." + stream, null, request.getBytes(StandardCharsets.UTF_8),
                timeout).thenApply(this::got);
    }

    private Got got(Message m) {
        if (m.isStatusMessage()) {
            if (m.getStatus().getCode() == 404) {
                return null;
            }
            throw new CompletionException(new IllegalStateException("direct get from " + stream + " failed: "
                    + m.getStatus().getMessageWithCode()));
        }
        Headers h = m.getHeaders();
        String offset = h == null ? null : h.getFirst(JetStreamHistoryStore.OFFSET);
        String epoch = h == null ? null : h.getFirst(JetStreamHistoryStore.EPOCH);
        if (offset == null || epoch == null) {
            throw new CompletionException(new IllegalStateException("a message in " + stream
                    + " has no offset or epoch; is another application publishing to its subjects?"));
        }
        return new Got(h.getFirst(SUBJECT), new HistoryEntry(Long.parseLong(h.getFirst(SEQUENCE)), Long.parseLong(offset),
                epoch, Instant.parse(h.getFirst(TIME)), m.getData() == null ? new byte[0] : m.getData()));
    }

    /**
     * The stream sequence of the room's first message with an offset after {@code after}, which must be before
     * {@code last}'s: a binary search over stream sequences (a room's offsets grow with them), each probe one
     * direct get of the room's next message from the middle, so about log2(stream sequence) round trips.
     */
    CompletableFuture<HistoryEntry> seek(Connection c, String subject, HistoryEntry last, long after) {
        CompletableFuture<HistoryEntry> done = new CompletableFuture<>();
        gallop(c, subject, after, last.offset() - after, last, done);
        return done;
    }

    /**
     * Looks back from {@code best} (a known message with an offset after {@code after}) by {@code span}
     * sequences, doubling the span until it passes the answer, then hands over to {@link #probe}. In a stream
     * where the room is the only busy one, sequences and offsets advance together and the first look lands
     * on the answer.
     */
    private void gallop(Connection c, String subject, long after, long span, HistoryEntry best,
                        CompletableFuture<HistoryEntry> done) {
        long from = Math.max(1, best.seq() - span);
        get(c, "{\"seq\":" + from + ",\"next_by_subj\":\"" + subject + "\"}").whenComplete((g, failure) -> {
            if (failure != null) {
                done.completeExceptionally(failure);
            } else if (g == null || g.entry.seq() >= best.seq()) {
                // Nothing of the room in [from, best).
                if (from == 1) {
                    done.complete(best);
                } else {
                    gallop(c, subject, after, span * 2, best, done);
                }
            } else if (g.entry.offset() > after) {
                if (from == 1 || g.entry.offset() == after + 1) {
                    done.complete(g.entry);
                } else {
                    gallop(c, subject, after, span * 2, g.entry, done);
                }
            } else {
                probe(c, subject, after, g.entry.seq() + 1, best.seq() - 1, best, done);
            }
        });
    }

    /**
     * One step of the binary search that ends {@link #seek}. The answer is {@code best} or lies in
     * [{@code lo}, {@code hi}]; the room has no message in ({@code hi}, {@code best}).
     */
    private void probe(Connection c, String subject, long after, long lo, long hi, HistoryEntry best,
                       CompletableFuture<HistoryEntry> done) {
        if (lo > hi) {
            done.complete(best);
            return;
        }
        long mid = lo + (hi - lo) / 2;
        get(c, "{\"seq\":" + mid + ",\"next_by_subj\":\"" + subject + "\"}").whenComplete((g, failure) -> {
            if (failure != null) {
                done.completeExceptionally(failure);
            } else if (g == null || g.entry.seq() > hi) {
                probe(c, subject, after, lo, mid - 1, best, done);
            } else if (g.entry.offset() > after) {
                probe(c, subject, after, lo, mid - 1, g.entry, done);
            } else {
                probe(c, subject, after, g.entry.seq() + 1, hi, best, done);
            }
        });
    }

    /**
     * Up to {@code max} of the room's entries from {@code first} to {@code last}, in order. When nothing else
     * was stored between them (their sequences advance as their offsets do) and they are few, by direct gets
     * all sent at once; else in one batch by a consumer, whose creation goes through the JetStream API and
     * costs the server more.
     */
    CompletableFuture<List<HistoryEntry>> read(NatsLink.Live<Dispatcher> live, String subject, HistoryEntry first,
                                                HistoryEntry last, int max) {
        long count = Math.min(max, last.offset() - first.offset() + 1);
        if (last.seq() - first.seq() == last.offset() - first.offset() && count <= DIRECT_READS) {
            List<CompletableFuture<Got>> gets = new ArrayList<>((int) count);
            for (long seq = first.seq(); seq < first.seq() + count; seq++) {
                gets.add(get(live.connection(), "{\"seq\":" + seq + "}"));
            }
            return CompletableFuture.allOf(gets.toArray(CompletableFuture[]::new)).thenApply(v -> {
                List<HistoryEntry> out = new ArrayList<>(gets.size());
                for (CompletableFuture<Got> g : gets) {
                    Got got = g.join();
                    // Discarded meanwhile (the room's limit): the caller sees the hole.
                    if (got != null && subject.equals(got.subject())) {
                        out.add(got.entry());
                    }
                }
                return out;
            });
        }
        return SubjectFetch.fetch(live.connection(), live.prepared(), stream, subject, first.seq(), max, timeout)
                .thenApply(messages -> {
                    List<HistoryEntry> out = new ArrayList<>(messages.size());
                    for (Message m : messages) {
                        HistoryEntry e = fetched(m);
                        if (e.seq() <= last.seq()) {
                            out.add(e);
                        }
                    }
                    return out;
                });
    }

    private HistoryEntry fetched(Message m) {
        Headers h = m.getHeaders();
        String offset = h == null ? null : h.getFirst(JetStreamHistoryStore.OFFSET);
        String epoch = h == null ? null : h.getFirst(JetStreamHistoryStore.EPOCH);
        if (offset == null || epoch == null) {
            throw new CompletionException(new IllegalStateException("a message in " + stream
                    + " has no offset or epoch; is another application publishing to its subjects?"));
        }
        return new HistoryEntry(m.metaData().streamSequence(), Long.parseLong(offset), epoch,
                m.metaData().timestamp().toInstant(), m.getData() == null ? new byte[0] : m.getData());
    }
}
