package io.switchboard.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.netty.channel.EventLoop;
import io.switchboard.client.SwitchboardClientException.AckTimeoutException;
import io.switchboard.client.SwitchboardClientException.ConnectionLostException;
import io.switchboard.protocol.Command;
import io.switchboard.protocol.JsonCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The commands of one client that wait for their reply, by {@code id}: ids are handed out here
 * ({@code c1}, {@code c2}, …), each command is encoded by the protocol codec with its id, fails after
 * the ack timeout, and is completed by the reply or error that echoes its id.
 *
 * <p>Confined to the client's event loop.
 */
final class PendingRequests {
    private final JsonCodec codec;
    private final EventLoop loop;
    private final Duration ackTimeout;
    private final Executor callbacks;
    /** Told about each request after it failed for want of a reply (a join's room reacts to it). */
    private final BiConsumer<PendingRequest<?>, AckTimeoutException> onTimeout;
    private final Map<String, PendingRequest<?>> pending = new HashMap<>();
    private long nextId;

    PendingRequests(JsonCodec codec, EventLoop loop, Duration ackTimeout, Executor callbacks,
                    BiConsumer<PendingRequest<?>, AckTimeoutException> onTimeout) {
        this.codec = codec;
        this.loop = loop;
        this.ackTimeout = ackTimeout;
        this.callbacks = callbacks;
        this.onTimeout = onTimeout;
    }

    /**
     * Gives a command its id, remembers it until its reply and starts its timeout; returns the frame to
     * write: the command encoded with its id, and the request in {@link QueuedFrame#pending()}.
     *
     * @param command builds the command record around the id it is given
     */
    <T> QueuedFrame register(Function<JsonNode, Command> command, Function<JsonNode, T> decode,
                             CompletableFuture<T> future) {
        String id = "c" + (++nextId);
        Command cmd = command.apply(TextNode.valueOf(id));
        PendingRequest<T> p = new PendingRequest<>(id, cmd.type(), decode, future, callbacks);
        pending.put(id, p);
        p.timeout = loop.schedule(() -> timedOut(p), ackTimeout.toMillis(), TimeUnit.MILLISECONDS);
        return new QueuedFrame(codec.encodeCommand(cmd), null, p, null);
    }

    private void timedOut(PendingRequest<?> p) {
        if (pending.remove(p.id) != p) {
            return;
        }
        AckTimeoutException timeout = new AckTimeoutException("no reply to " + p.type + " within "
                + ackTimeout.toMillis() + " ms");
        p.fail(timeout);
        onTimeout.accept(p, timeout);
    }

    /** Removes and returns the request with this id, or null when none waits. */
    PendingRequest<?> remove(String id) {
        return pending.remove(id);
    }

    /** Completes the request a server message answers (the one whose id it echoes), if any. */
    void reply(JsonNode m) {
        JsonNode id = m.get("id");
        if (id == null || id.isNull()) {
            return;
        }
        PendingRequest<?> p = pending.remove(id.asText());
        if (p != null) {
            p.succeed(m);
        }
    }

    /**
     * As {@link #register}, for a command the server applies once however often it arrives (a publish with
     * an idempotency key): when the connection drops before its reply, {@link #failSent} hands it back to be
     * sent again on the next connection, at most {@code resends} times, within the same ack timeout.
     */
    <T> QueuedFrame registerResendable(Function<JsonNode, Command> command, Function<JsonNode, T> decode,
                                       CompletableFuture<T> future, int resends) {
        QueuedFrame frame = register(command, decode, future);
        frame.pending().resendText = frame.text();
        frame.pending().resendsLeft = resends;
        return frame;
    }

    /**
     * The connection dropped: fails every request already written, whose outcome is now unknown
     * (joins too: their waiters stay with the room for the rejoin), except those that may be sent again,
     * which are returned for the next connection. Queued ones wait for the next connection.
     */
    List<QueuedFrame> failSent(String reason) {
        List<PendingRequest<?>> lost = new ArrayList<>();
        List<QueuedFrame> resend = new ArrayList<>();
        for (PendingRequest<?> p : pending.values()) {
            if (p.sent && p.resendText != null && p.resendsLeft > 0 && !p.finished) {
                p.resendsLeft--;
                p.sent = false;
                resend.add(new QueuedFrame(p.resendText, null, p, null));
            } else if (p.sent) {
                lost.add(p);
            }
        }
        for (PendingRequest<?> p : lost) {
            pending.remove(p.id);
            p.fail(new ConnectionLostException("connection lost before the reply to " + p.type + " (" + reason
                    + "); the server may or may not have applied it"));
        }
        return resend;
    }

    /** The client is closed: fails every request still waiting. */
    void failAll(Throwable error) {
        for (PendingRequest<?> p : new ArrayList<>(pending.values())) {
            p.fail(error);
        }
        pending.clear();
    }
}
