package io.switchboard.core.hub;

import static io.switchboard.core.hub.BackendCalls.quietly;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.HubException;
import io.switchboard.core.broker.Broker;
import io.switchboard.core.broker.Envelope;
import io.switchboard.core.history.HistoryStore;
import io.switchboard.core.history.HistoryStore.Appended;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ServerMessage.RoomMessage;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * A room message's way out: history assigns its offset, the sequencer delivers it here in order, the
 * broker takes it to the other nodes (and the republisher keeps it when the broker does not). Thread-safe;
 * with in-memory history the append and the delivery happen under the room's monitor.
 */
final class RoomPublisher {
    private final HubContext ctx;
    private final BackendCalls calls;
    private final HistoryStore history;
    private final Broker broker;
    private final String nodeId;
    private final JsonCodec codec;
    private final Map<String, Room> rooms;
    private final RoomSequencer sequencer;
    private final Republisher republisher;

    /** @param rooms the hub's rooms with members here */
    RoomPublisher(HubContext ctx, Map<String, Room> rooms, RoomSequencer sequencer, Republisher republisher) {
        this.ctx = ctx;
        this.calls = ctx.calls();
        this.history = ctx.history();
        this.broker = ctx.broker();
        this.nodeId = ctx.nodeId();
        this.codec = ctx.codec();
        this.rooms = rooms;
        this.sequencer = sequencer;
        this.republisher = republisher;
    }

    /**
     * Appends a message to a room's history, then delivers it here in offset order and publishes it to the
     * other nodes; completes with its offset. {@code local}: the room when it has members here, else null.
     * {@code exclude}: the connection that must not receive it, or null. With in-memory stores, completes
     * before returning.
     */
    CompletionStage<Long> publish(String roomName, Room local, String fromUser, String fromConn,
                                          String content, JsonNode data, String exclude) throws HubException {
        return publish(roomName, local, fromUser, fromConn, content, data, exclude, null);
    }

    /**
     * As the other {@code publish}, once per {@code idempotencyKey} (null for none) and room within
     * {@code history.idempotencyWindow}: a repeat is neither stored nor delivered, and completes with the first
     * one's offset.
     */
    CompletionStage<Long> publish(String roomName, Room local, String fromUser, String fromConn, String content,
                                  JsonNode data, String exclude, String idempotencyKey) throws HubException {
        long ts = ctx.time().currentTimeMillis();
        java.time.Duration window = ctx.config().history().idempotencyWindow();
        CompletableFuture<Appended> appended;
        if (local != null) {
            synchronized (local) {
                FanOut.requireCapacity(local);
                appended = calls.storeOrThrow(() -> history.append(roomName, fromUser, fromConn, content, data, ts,
                        idempotencyKey, window));
                if (appended.isDone() && !appended.isCompletedExceptionally()) {
                    // In-memory history: numbered and delivered under one monitor, in offset order.
                    return CompletableFuture.completedFuture(delivered(roomName, appended.join(), exclude));
                }
            }
        } else {
            appended = calls.storeOrThrow(() -> history.append(roomName, fromUser, fromConn, content, data, ts,
                        idempotencyKey, window));
        }
        return appended.handle((a, e) -> {
            if (e != null) {
                republisher.unsettled(roomName);
                throw new CompletionException(BackendCalls.unavailable("publishing to room " + roomName, e));
            }
            return delivered(roomName, a, exclude);
        });
    }

    /** Delivers an appended message here and sends it to the other nodes; returns its offset. */
    private long delivered(String roomName, Appended a, String exclude) {
        RoomMessage message = a.message();
        if (a.duplicate()) {
            return message.offset();
        }
        byte[] json = codec.encode(message);
        Room room = rooms.get(roomName);
        if (room != null) {
            sequencer.sequence(room, a.epoch(), message.offset(), json, exclude);
        }
        if (broker.reachesOtherNodes()) {
            Envelope envelope = Envelope.roomMessage(nodeId, roomName, a.epoch(), message.offset(), exclude, json);
            // Already in history: a node that misses this publication reads it from there once a later
            // message shows it the gap; if this one is not published, it is remembered and published later.
            long start = ctx.time().nanoTime();
            CompletableFuture<Void> published = calls.broker(() ->
                    broker.publish(Envelope.roomChannel(roomName), envelope.encode()));
            published.whenComplete((v, e) -> {
                if (e == null) {
                    republisher.forgetUnpublished(roomName, envelope);
                } else {
                    republisher.rememberUnpublished(roomName, envelope);
                }
                ctx.metrics().brokerPublished(ctx.time().nanoTime() - start, e == null);
            });
            quietly("publish to room " + roomName, published);
        }
        return message.offset();
    }
}
