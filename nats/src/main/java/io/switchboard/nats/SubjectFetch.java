package io.switchboard.nats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Subscription;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * Reads a run of one subject's messages from a stream in one go, with an ephemeral pull consumer: create it
 * at a start sequence with the subject as filter, ask for a batch, collect, delete it. Two round trips and
 * the messages streamed, where direct gets would need one round trip per message. Thread-safe; nothing
 * blocks: the requests are asynchronous and the messages arrive on the store's dispatcher.
 *
 * <p>The consumer keeps no acks ({@code ack_policy: none}), lives in memory, and is deleted when the read
 * ends; should that delete be lost, the server drops it after {@link #INACTIVE} of inactivity.
 */
final class SubjectFetch {
    static final Duration INACTIVE = Duration.ofSeconds(30);
    /** What one read may hold in memory; a history page is bounded by the room's size, a room's members by this. */
    static final int MAX_BATCH = 1_000_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SubjectFetch() {
    }

    /**
     * Up to {@code max} messages of {@code subject} from stream sequence {@code from} on, in order; fewer when
     * the subject has fewer. Fails after {@code timeout}.
     */
    static CompletableFuture<List<Message>> fetch(Connection c, Dispatcher d, String stream, String subject,
                                                  long from, int max, Duration timeout) {
        return fetch(c, d, stream, subject, "\"deliver_policy\":\"by_start_sequence\",\"opt_start_seq\":" + from, max,
                timeout);
    }

    /** The last message of each subject matching {@code filter} (a KV bucket's live keys and their markers). */
    static CompletableFuture<List<Message>> lastPerSubject(Connection c, Dispatcher d, String stream, String filter,
                                                           Duration timeout) {
        return fetch(c, d, stream, filter, "\"deliver_policy\":\"last_per_subject\"", Integer.MAX_VALUE, timeout);
    }

    private static CompletableFuture<List<Message>> fetch(Connection c, Dispatcher d, String stream, String filter,
                                                          String deliver, int max, Duration timeout) {
        String create = "{\"stream_name\":\"" + stream + "\",\"config\":{" + deliver + ",\"filter_subject\":\""
                + filter + "\",\"ack_policy\":\"none\",\"inactive_threshold\":" + INACTIVE.toNanos()
                + ",\"mem_storage\":true,\"num_replicas\":1}}";
        return NatsLink.request(c, "$JS.API.CONSUMER.CREATE." + stream, null, create.getBytes(StandardCharsets.UTF_8),
                timeout).thenCompose(reply -> {
                    JsonNode r = parse(reply);
                    String name = r.path("name").asText();
                    long pending = r.path("num_pending").asLong();
                    if (pending > MAX_BATCH) {
                        delete(c, stream, name);
                        throw new CompletionException(new IllegalStateException(filter + " in " + stream + " has "
                                + pending + " messages to read; at most " + MAX_BATCH + " are read at once"));
                    }
                    int want = (int) Math.min(max, pending);
                    if (want == 0) {
                        delete(c, stream, name);
                        return CompletableFuture.completedFuture(List.of());
                    }
                    return collect(c, d, stream, name, want, timeout);
                });
    }

    private static CompletableFuture<List<Message>> collect(Connection c, Dispatcher d, String stream, String name,
                                                            int want, Duration timeout) {
        CompletableFuture<List<Message>> done = new CompletableFuture<>();
        List<Message> found = new ArrayList<>(want);
        String inbox = c.createInbox();
        Subscription sub = d.subscribe(inbox, m -> {
            // Messages of one subscription arrive one at a time, on the dispatcher's thread.
            if (m.isStatusMessage()) {
                int code = m.getStatus().getCode();
                if (code == 404 || code == 408) {
                    // No more messages: some were discarded (the room's limit) since the consumer counted them.
                    done.complete(List.copyOf(found));
                } else {
                    done.completeExceptionally(new IllegalStateException("reading " + stream + " failed: "
                            + m.getStatus().getMessageWithCode() + " after " + found.size() + " of " + want));
                }
                return;
            }
            found.add(m);
            if (found.size() == want) {
                done.complete(List.copyOf(found));
            }
        });
        done.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((v, e) -> {
            try {
                d.unsubscribe(sub);
            } catch (IllegalStateException closed) {
                // The connection went with its subscriptions.
            }
            delete(c, stream, name);
        });
        String next = "{\"batch\":" + want + ",\"no_wait\":true}";
        try {
            c.publish("$JS.API.CONSUMER.MSG.NEXT." + stream + "." + name, inbox, next.getBytes(StandardCharsets.UTF_8));
        } catch (IllegalStateException e) {
            done.completeExceptionally(e);
        }
        return done;
    }

    private static void delete(Connection c, String stream, String name) {
        try {
            c.publish("$JS.API.CONSUMER.DELETE." + stream + "." + name, null);
        } catch (IllegalStateException e) {
            // Closed meanwhile: the server drops the consumer after INACTIVE.
        }
    }

    private static JsonNode parse(Message reply) {
        if (reply.isStatusMessage()) {
            throw new CompletionException(new IllegalStateException("JetStream refused a consumer: "
                    + reply.getStatus().getMessageWithCode()));
        }
        JsonNode r;
        try {
            r = JSON.readTree(reply.getData());
        } catch (IOException e) {
            throw new CompletionException(e);
        }
        if (r.has("error")) {
            throw new CompletionException(new IllegalStateException("JetStream refused a consumer: "
                    + r.path("error").path("description").asText()));
        }
        return r;
    }
}
