package io.switchboard.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.util.concurrent.ScheduledFuture;
import io.switchboard.client.SwitchboardClientException.ServerErrorException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * A command with an {@code id} waiting for its reply. The future completes on the callback
 * executor, never on the event loop.
 *
 * <p>Confined to the client's event loop, except {@link #future}.
 */
final class PendingRequest<T> {
    final String id;
    /** The command type, for error texts. */
    final String type;
    private final Function<JsonNode, T> decode;
    final CompletableFuture<T> future;
    private final Executor callbacks;
    /** Fails the request after the ack timeout. */
    ScheduledFuture<?> timeout;
    /** Written to a channel: a disconnect now means "outcome unknown". */
    boolean sent;
    /** Completed one way or the other; a queued command in this state is not sent. */
    boolean finished;
    /** The room of a join, else null. */
    String room;
    /**
     * The encoded command to send again when the connection drops before the reply, or null: only for
     * commands the server applies once however often they arrive (a publish with an idempotency key).
     */
    String resendText;
    /** How many more times {@link #resendText} may be sent after a lost connection. */
    int resendsLeft;

    PendingRequest(String id, String type, Function<JsonNode, T> decode, CompletableFuture<T> future,
                   Executor callbacks) {
        this.id = id;
        this.type = type;
        this.decode = decode;
        this.future = future;
        this.callbacks = callbacks;
    }

    void succeed(JsonNode reply) {
        finished = true;
        cancelTimeout();
        T value;
        try {
            value = decode.apply(reply);
        } catch (RuntimeException e) {
            fail(new ServerErrorException("invalid_reply", "could not read the reply to " + type + ": " + e));
            return;
        }
        callbacks.execute(() -> future.complete(value));
    }

    void fail(Throwable error) {
        finished = true;
        cancelTimeout();
        callbacks.execute(() -> future.completeExceptionally(error));
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }
}
