package io.switchboard.core.history;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.protocol.ServerMessage.RoomMessage;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;

/**
 * Recent messages of each room and the offsets that number them (PROTOCOL.md section 3).
 *
 * <p>Offsets start at 1 and grow by exactly 1 per appended message, cluster-wide when the store is
 * shared by several nodes; the epoch names the lineage of a room's offsets and changes whenever the
 * history behind them is lost (a restart of an in-memory store, a Redis that lost its data).
 *
 * <p>Implementations are thread-safe and atomic per call: appends to one room from several threads or
 * nodes get distinct, gap-free offsets. Every operation is asynchronous; an in-memory store completes
 * before returning, which the hub relies on to keep a single node's publishes in offset order without
 * any reordering.
 */
public interface HistoryStore extends AutoCloseable {

    /** Where a room's history stands: the last assigned offset (0 before the first) and its epoch. */
    record Position(long offset, String epoch) {
    }

    /**
     * The outcome of a recovery request.
     *
     * @param recovered true when {@code messages} holds every message after the requested offset
     * @param messages the missed messages in offset order; empty when not recovered
     * @param position the room's position the messages lead up to
     */
    record Recovery(boolean recovered, List<RoomMessage> messages, Position position) {
    }

    /**
     * An appended message as members will receive it, and the epoch its offset belongs to. {@code duplicate}:
     * nothing was appended, the message repeats an earlier one's idempotency key and carries that one's offset.
     */
    record Appended(RoomMessage message, String epoch, boolean duplicate) {
        public Appended(RoomMessage message, String epoch) {
            this(message, epoch, false);
        }
    }

    /** A page of history. */
    record Page(String epoch, List<RoomMessage> messages) {
    }

    /** Assigns the next offset to a message, keeps it, and returns it with the epoch of that offset. */
    CompletionStage<Appended> append(String room, String from, String connId, String content, JsonNode data,
                                        long timestampMillis);

    /**
     * As {@link #append}, once per key: when the room had a message with {@code idempotencyKey} within
     * {@code window} (in this epoch), nothing is kept and the result is that message's offset, marked
     * {@code duplicate}. The check and the append are one atomic step, cluster-wide for a shared store. A
     * null key is a plain append. Stores bound what they remember and say how.
     */
    default CompletionStage<Appended> append(String room, String from, String connId, String content, JsonNode data,
                                             long timestampMillis, String idempotencyKey, Duration window) {
        if (idempotencyKey == null) {
            return append(room, from, connId, content, data, timestampMillis);
        }
        return CompletableFuture.failedFuture(new UnsupportedOperationException(
                getClass().getSimpleName() + " does not deduplicate publishes"));
    }

    /** The room's last offset and epoch; a room never written to is at offset 0 of a new epoch. */
    CompletionStage<Position> position(String room);

    /** Every retained message after {@code offset} in {@code epoch}, or {@code recovered=false}. */
    CompletionStage<Recovery> recover(String room, long offset, String epoch);

    /**
     * Retained messages: with {@code afterOffset}, the first {@code limit} after it; without, the last
     * {@code limit}.
     */
    CompletionStage<Page> read(String room, Long afterOffset, int limit);

    /**
     * Lets the store forget rooms that {@code inUse} says nobody holds and whose retention ran out.
     * Called periodically; stores that expire on their own ignore it.
     */
    default void sweep(Predicate<String> inUse) {
    }

    /** Releases connections. Idempotent. */
    @Override
    default void close() {
    }
}
