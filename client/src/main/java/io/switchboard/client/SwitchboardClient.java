package io.switchboard.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A connection to a Switchboard server (protocol v1, PROTOCOL.md) that survives real networks:
 * it reconnects with exponential backoff and full jitter as the close-code table allows
 * ({@link io.switchboard.protocol.CloseCode#retry()}), rejoins its rooms with {@code since} and
 * delivers missed messages in order and exactly once, or reports {@code recovered:false}.
 *
 * <h2>Lifecycle</h2>
 * Create with {@link SwitchboardClients#create}, call {@link #connect()}, use, {@link #close()}. The first
 * connection attempt is not retried: {@code connect()} fails if it fails. Once connected, a
 * dropped connection is retried until a close code says not to (1000, 1002, 1003, 1007, 1008,
 * 1009, 4003), the upgrade is rejected with a non-retryable status (401, 403, 4xx other than 429),
 * or {@code close()} is called; after 1012 the client waits the server's {@code reconnectAfterMs},
 * after 4001 it asks the token supplier for a fresh token.
 *
 * <h2>Requests</h2>
 * Every request returns a {@link CompletableFuture} completed by the server's reply (the command
 * carries an {@code id}); it fails with {@link SwitchboardClientException.ServerErrorException}
 * (the server's error code), {@link SwitchboardClientException.AckTimeoutException} after
 * {@link ClientConfig#ackTimeout()}, {@link SwitchboardClientException.ConnectionLostException}
 * when the connection dropped after sending, {@link SwitchboardClientException.SendQueueFullException}
 * when the bounded send queue is full, or {@link SwitchboardClientException.ClientClosedException}.
 * Requests made while reconnecting wait in the send queue and go out after the rooms are rejoined.
 *
 * <h2>Threading</h2>
 * Thread-safe: every method may be called from any thread, including from callbacks. Listener
 * methods run and futures complete on the callback executor ({@link ClientConfig#callbackExecutor()}),
 * serially per client, never on a Netty event loop unless that executor runs tasks inline.
 * Blocking in a callback delays this client's later events, not other clients'.
 */
public interface SwitchboardClient extends AutoCloseable {
    /** Members a {@code presence} page holds unless told otherwise. */
    int DEFAULT_PRESENCE_PAGE = 100;
    /** Members a {@code presence} page holds at most. */
    int MAX_PRESENCE_PAGE = 1000;

    /**
     * The transport of the current or next connection: {@link Transport#WEBSOCKET} or
     * {@link Transport#HTTP_STREAMING} (with {@link Transport#AUTO}, streaming once an upgrade was refused).
     */
    default Transport transport() {
        return Transport.WEBSOCKET;
    }

    /** Connects; completes when the server's {@code welcome} arrives. Idempotent. */
    CompletableFuture<Welcome> connect();

    /** The current state. */
    ConnectionState state();

    /** The last {@code welcome}, or {@code null} before the first connection. */
    Welcome welcome();

    /** Joins a room; its events go to the client's listener. Rejoined automatically after reconnects. */
    default CompletableFuture<RoomJoined> join(String room) {
        return join(room, null);
    }

    /**
     * Joins a room with its own listener ({@code null}: the client's listener). Joining a room
     * already joined replaces its listener and completes with a fresh {@code room_joined}. A join
     * made while disconnected, or cut off by a dropped connection, completes with the rejoin on the
     * next connection; it fails when the server refuses it, after {@link ClientConfig#ackTimeout()}
     * on a connection that does not answer, or when the client closes.
     */
    CompletableFuture<RoomJoined> join(String room, RoomListener listener);

    /** Leaves a room; it is no longer rejoined after reconnects. */
    CompletableFuture<Void> leave(String room);

    /** The rooms this client is in or joining. */
    Set<String> rooms();

    /** Publishes text to a joined room; completes with the message's offset. */
    default CompletableFuture<Long> publish(String room, String content) {
        return publish(room, content, null);
    }

    /**
     * Publishes text and/or JSON data (either may be {@code null}); completes with the offset. Each publish
     * carries a fresh {@code idempotencyKey}: when the connection drops before the ack, the client sends it
     * again after reconnecting (within the ack timeout) and the server stores and delivers it once.
     */
    CompletableFuture<Long> publish(String room, String content, JsonNode data);

    /** Sends a private message to every connection of a user; completes when the server acked it. */
    CompletableFuture<Void> sendPrivate(String userId, String content, JsonNode data);

    /**
     * Sends to every connection on the server except this one; completes when the server acked it. Needs the
     * broadcast grant (the token claim {@code broadcast}, or {@code security.clientBroadcast} without
     * authentication), else fails with {@code forbidden}; bounded by {@code security.broadcastMaxBytes} and
     * {@code security.broadcastPerSecond}.
     */
    CompletableFuture<Void> broadcast(String content, JsonNode data);

    /** The first page of a room's members (up to 100) and its count. */
    default CompletableFuture<Presence> presence(String room) {
        return presence(room, DEFAULT_PRESENCE_PAGE, null);
    }

    /**
     * One page of a room's members: at most {@code limit} (1 to 1000) after {@code cursor} (null: from the first),
     * as the previous page's {@link Presence#cursor()} gave it.
     */
    CompletableFuture<Presence> presence(String room, int limit, String cursor);

    /**
     * Every member of a room, read page by page (1000 a page) in member order. A member present the whole time
     * appears once; one that joins or leaves meanwhile may or may not. Fails with the first page that fails.
     */
    default CompletableFuture<List<Member>> allMembers(String room) {
        List<Member> all = new ArrayList<>();
        return nextPage(this, room, null, all).thenApply(v -> Collections.unmodifiableList(all));
    }

    private static CompletableFuture<Void> nextPage(SwitchboardClient client, String room, String cursor,
                                                   List<Member> into) {
        return client.presence(room, MAX_PRESENCE_PAGE, cursor).thenCompose(page -> {
            into.addAll(page.members());
            return page.hasMore() ? nextPage(client, room, page.cursor(), into) : CompletableFuture.completedFuture(null);
        });
    }

    /** Retained messages of a room after {@code since} ({@code null}: all), at most {@code limit} ({@code null}: server default). */
    CompletableFuture<History> history(String room, Long since, Integer limit);

    /** Hands the server a fresh token ({@code refresh}); completes with the new expiry, epoch millis. */
    CompletableFuture<Long> refreshToken(String token);

    /**
     * Sends one text frame as is (a JSON command typed by a user, a load generator's pre-built
     * frame). Goes through the send queue; completes when written to the socket. Replies arrive
     * through {@link ClientListener#onServerMessage} (and the usual routing).
     */
    CompletableFuture<Void> sendText(String json);

    /** Sends one binary frame (PROTOCOL.md section 7); completes when written to the socket. */
    CompletableFuture<Void> sendBinary(byte[] frame);

    /**
     * Closes with 1000 and stops reconnecting; pending requests fail with
     * {@link SwitchboardClientException.ClientClosedException}. Completes once the connection is
     * closed. Idempotent.
     */
    CompletableFuture<Void> closeAsync();

    /** {@link #closeAsync()} and waits for it, at most a few seconds. */
    @Override
    void close();
}
