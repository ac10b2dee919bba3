package io.switchboard.core.hub;

import io.switchboard.core.broker.Broker;
import io.switchboard.core.broker.Envelope;
import io.switchboard.core.history.HistoryStore;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ServerMessage.RoomMessage;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The other nodes notice a missing offset only when a later one reaches them. This keeps, per room, the
 * newest message this node appended but could not publish, and the rooms whose append failed but may
 * have happened, and publishes them again every {@code cluster.timeout} until the broker takes them.
 * Thread-safe; the rounds run on the {@link HubScheduler}.
 */
final class Republisher {
    private static final Logger log = LoggerFactory.getLogger(Republisher.class);
    /**
     * Rooms whose last publication to the other nodes failed, and rooms with an append that failed but may
     * have happened, that this node remembers (see {@link #unpublished} and {@link #unsettled}), each.
     */
    private static final int MAX_UNPUBLISHED = 10_000;

    private final HubContext ctx;
    private final BackendCalls calls;
    private final HistoryStore history;
    private final Broker broker;
    private final String nodeId;
    private final JsonCodec codec;
    private final Map<String, Room> rooms;
    private final RoomSequencer sequencer;
    /**
     * Per room, the newest message this node appended but could not publish to the other nodes (broker
     * disconnected, breaker open, buffer full), or found settling an {@link #unsettled} room. At most
     * {@link #MAX_UNPUBLISHED} rooms.
     */
    private final ConcurrentHashMap<String, Envelope> unpublished = new ConcurrentHashMap<>();
    /**
     * Rooms where an append failed (timed out, connection lost) but may still have happened: the message
     * then has an offset that no node delivers until a later one shows the gap. At most
     * {@link #MAX_UNPUBLISHED} rooms.
     */
    private final Set<String> unsettled = ConcurrentHashMap.newKeySet();
    /** A {@link #republish} is scheduled. */
    private final AtomicBoolean republishPending = new AtomicBoolean();
    /** {@link #unpublished} was full since it was last empty; logged once. */
    private final AtomicBoolean unpublishedFull = new AtomicBoolean();

    /** @param rooms the hub's rooms with members here; a settled one catches up through {@code sequencer} */
    Republisher(HubContext ctx, Map<String, Room> rooms, RoomSequencer sequencer) {
        this.ctx = ctx;
        this.calls = ctx.calls();
        this.history = ctx.history();
        this.broker = ctx.broker();
        this.nodeId = ctx.nodeId();
        this.codec = ctx.codec();
        this.rooms = rooms;
        this.sequencer = sequencer;
    }

    /** The broker reconnected: publish what it refused at once. */
    void brokerBack() {
        if (!unpublished.isEmpty()) {
            scheduleRepublish(0);
        }
    }

    /** A room message reached the broker: a remembered older one of the room needs no republishing. */
    void forgetUnpublished(String roomName, Envelope envelope) {
        if (unpublished.isEmpty()) {
            return;
        }
        unpublished.computeIfPresent(roomName, (k, old) ->
                old.epoch().equals(envelope.epoch()) && old.offset() <= envelope.offset() ? null : old);
    }

    /** A room message did not reach the broker: remember the room's newest such one, and republish it. */
    void rememberUnpublished(String roomName, Envelope envelope) {
        Envelope kept = unpublished.compute(roomName, (k, old) -> {
            if (old == null) {
                return unpublished.size() < MAX_UNPUBLISHED ? envelope : null;
            }
            return !old.epoch().equals(envelope.epoch()) || old.offset() < envelope.offset() ? envelope : old;
        });
        if (kept == null && unpublishedFull.compareAndSet(false, true)) {
            log.atWarn().addKeyValue("rooms", MAX_UNPUBLISHED)
                    .log("the broker refused the last messages of more than {} rooms; the other nodes get those "
                            + "of the rooms beyond from history only after their next message", MAX_UNPUBLISHED);
        }
        scheduleRepublish(ctx.config().cluster().timeout().toNanos());
    }

    /** An append to the room failed but may have happened: settle the room once the store answers again. */
    void unsettled(String roomName) {
        if (unsettled.size() < MAX_UNPUBLISHED || unsettled.contains(roomName)) {
            unsettled.add(roomName);
        } else if (unpublishedFull.compareAndSet(false, true)) {
            log.atWarn().addKeyValue("rooms", MAX_UNPUBLISHED)
                    .log("appends to more than {} rooms failed; the other nodes get the messages of the rooms beyond "
                            + "that happened anyway only after their next message", MAX_UNPUBLISHED);
        }
        scheduleRepublish(ctx.config().cluster().timeout().toNanos());
    }

    void scheduleRepublish(long delayNanos) {
        if (!republishPending.compareAndSet(false, true)) {
            return;
        }
        try {
            ctx.scheduler().schedule(this::republish, delayNanos);
        } catch (RejectedExecutionException e) {
            republishPending.set(false); // the hub is closing
        }
    }

    /**
     * Publishes again each room's newest message that did not reach the broker, so that the other nodes see
     * the gap and read it from history; every {@code cluster.timeout} until the broker took them all. A node
     * that already has one drops it as a duplicate. Settles the {@link #unsettled} rooms first. On the
     * gap-check thread.
     */
    private void republish() {
        republishPending.set(false);
        try {
            if (!calls.storeRefusing()) {
                for (String roomName : List.copyOf(unsettled)) {
                    settle(roomName);
                }
            }
            if (!broker.isConnected() || calls.brokerRefusing()) {
                return;
            }
            for (Map.Entry<String, Envelope> entry : unpublished.entrySet()) {
                String roomName = entry.getKey();
                Envelope envelope = entry.getValue();
                calls.broker(() -> broker.publish(Envelope.roomChannel(roomName), envelope.encode()))
                        .whenComplete((v, e) -> {
                            if (e == null) {
                                unpublished.remove(roomName, envelope);
                            }
                        });
            }
        } finally {
            if (unpublished.isEmpty() && unsettled.isEmpty()) {
                unpublishedFull.set(false);
            } else {
                scheduleRepublish(ctx.config().cluster().timeout().toNanos());
            }
        }
    }

    /**
     * Reads the newest message of a room where an append failed, which it may be, and has it published to
     * the other nodes; this node's own members get what it missed by a catch-up read. Issued after the
     * failed append on the same store, so the read sees it if it happened.
     */
    private void settle(String roomName) {
        // Removed before the read: an append that fails while the read is under way adds the room again.
        unsettled.remove(roomName);
        calls.store(() -> history.read(roomName, null, 1)).whenComplete((page, e) -> {
            if (e != null) {
                unsettled(roomName); // the next round tries again
                return;
            }
            if (!page.messages().isEmpty()) {
                RoomMessage last = page.messages().get(page.messages().size() - 1);
                rememberUnpublished(roomName, Envelope.roomMessage(nodeId, roomName, page.epoch(), last.offset(),
                        null, codec.encode(last)));
            }
            Room room = rooms.get(roomName);
            if (room != null) {
                sequencer.catchUp(room);
            }
        });
    }
}
