package io.switchboard.core.hub;

import io.switchboard.core.DisconnectReason;
import io.switchboard.core.broker.Broker;
import io.switchboard.core.history.HistoryStore;
import io.switchboard.core.history.HistoryStore.Position;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ServerMessage.RoomMessage;
import io.switchboard.protocol.internal.Failures;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each room's sequencer on this node: numbered messages from this node and the others are delivered in
 * offset order, parked while earlier ones are missing, read from history when they do not come (a gap
 * check after {@code cluster.gapTimeout}, a tail check of quiet rooms), and the room is resynchronised
 * when its history was lost. Thread-safe: everything about a room happens under its monitor; the checks
 * run on the {@link HubScheduler}.
 */
final class RoomSequencer {
    private static final Logger log = LoggerFactory.getLogger(RoomSequencer.class);
    /** Messages a room parks while it waits for a missing offset; beyond, history fills the gap. */
    private static final int MAX_PARKED = 10_000;
    /** Deliveries a room keeps while recovering joins read history (see {@link Room#recent}). */
    private static final int MAX_RECENT = 10_000;
    /** Quiet rooms compared with their history per tail check; beyond, those checked longest ago go first. */
    static final int MAX_TAIL_CHECKS = 1_000;

    private final HubContext ctx;
    private final BackendCalls calls;
    private final HistoryStore history;
    private final Broker broker;
    private final JsonCodec codec;
    private final FanOut fanOut;
    private final Map<String, Room> rooms;
    private final Function<String, Connection> connections;
    /** Closes a member on its own shard; usable from any thread. */
    private final MemberCloser closer;
    /** The periodic {@link #checkTails} runs; started by the first room of a node that has peers. */
    private final AtomicBoolean tailChecks = new AtomicBoolean();
    /** Rooms found behind their history since the last tail check logged them. */
    private final AtomicInteger tailsBehind = new AtomicInteger();

    /**
     * @param rooms the hub's rooms with members here, read by the tail check
     * @param connections a local connection by id (a message's sender to skip), or null
     */
    RoomSequencer(HubContext ctx, FanOut fanOut, Map<String, Room> rooms, Function<String, Connection> connections,
                  MemberCloser closer) {
        this.ctx = ctx;
        this.calls = ctx.calls();
        this.history = ctx.history();
        this.broker = ctx.broker();
        this.codec = ctx.codec();
        this.fanOut = fanOut;
        this.rooms = rooms;
        this.connections = connections;
        this.closer = closer;
    }

    /** Has the next gap check read everything after the room's last delivery. Thread-safe. */
    void catchUp(Room room) {
        synchronized (room) {
            room.catchUp = true;
            scheduleGapCheck(room, 0);
        }
    }

    /** First join on this node: the room's deliveries continue from the position the join read. */
    void initialize(Room room, Position position) {
        room.initialized = true;
        room.epoch = position.epoch();
        room.lastDelivered = position.offset();
        drainParked(room);
        if (broker.reachesOtherNodes() && tailChecks.compareAndSet(false, true)) {
            startTailChecks();
        }
    }

    private void startTailChecks() {
        long every = ctx.config().cluster().tailCheckInterval().toNanos();
        try {
            ctx.scheduler().scheduleWithFixedDelay(this::checkTails, every);
        } catch (RejectedExecutionException e) {
            tailChecks.set(false); // the hub is closing
        }
    }

    /**
     * Compares each room that stayed quiet here for a whole {@code cluster.tailCheckInterval} with its
     * history, and reads what it finds ahead. A node that dies between appending a message and publishing
     * it to the others leaves an offset no node relays; without a later message nobody would see the gap
     * (a later one shows it and is parked, see {@link #sequence}). Rooms with traffic are skipped: their next
     * message shows any gap. On the gap-check thread; never throws, or the schedule would stop.
     */
    private void checkTails() {
        try {
            int behind = tailsBehind.getAndSet(0);
            if (behind > 0) {
                log.atWarn().addKeyValue("rooms", behind)
                        .log("{} rooms here were behind their history, as when a node dies between appending a "
                                + "message and relaying it; their members got the messages from history", behind);
            }
            if (calls.storeRefusing()) {
                return;
            }
            List<Room> quiet = new ArrayList<>();
            for (Room room : rooms.values()) {
                synchronized (room) {
                    if (room.removed || !room.initialized || room.gapCheckPending || !room.parked.isEmpty()) {
                        continue;
                    }
                    if (room.lastDelivered != room.deliveredAtTailCheck) {
                        room.deliveredAtTailCheck = room.lastDelivered;
                        continue;
                    }
                    quiet.add(room);
                }
            }
            if (quiet.size() > MAX_TAIL_CHECKS) {
                quiet.sort(Comparator.comparingLong(r -> r.tailCheckedAt));
                quiet = quiet.subList(0, MAX_TAIL_CHECKS);
            }
            long now = ctx.time().nanoTime();
            for (Room room : quiet) {
                room.tailCheckedAt = now;
                calls.store(() -> history.position(room.name)).whenComplete((position, e) -> {
                    if (e == null) {
                        compareTail(room, position);
                    } // else the next check tries again
                });
            }
        } catch (RuntimeException e) {
            log.warn("checking rooms against their history failed", e);
        }
    }

    /**
     * A quiet room's history is ahead of what this node delivered (or in another epoch): read it after
     * {@code cluster.timeout}, the deadline of a publication that may still be on its way (this node's own
     * included: it must reach its sender's exclusion, not be read back from history).
     */
    private void compareTail(Room room, Position position) {
        synchronized (room) {
            if (room.removed || !room.initialized) {
                return;
            }
            boolean sameEpoch = position.epoch().equals(room.epoch);
            if ((sameEpoch && position.offset() > room.lastDelivered)
                    || (!sameEpoch && !position.epoch().equals(room.previousEpoch))) {
                tailsBehind.incrementAndGet();
                log.atDebug().addKeyValue("room", room.name)
                        .log("room {} is at offset {} of {} in history, delivered here up to {} of {}", room.name,
                                position.offset(), position.epoch(), room.lastDelivered, room.epoch);
                room.catchUp = true;
                scheduleGapCheck(room, ctx.config().cluster().timeout().toNanos());
            }
        }
    }

    /**
     * A numbered message for a room with members on this node, from this node or another, in any order:
     * delivered when its turn comes, parked when earlier offsets are missing, dropped when it is a
     * duplicate. Thread-safe.
     */
    void sequence(Room room, String epoch, long offset, byte[] json, String exclude) {
        synchronized (room) {
            if (room.removed) {
                return;
            }
            if (!room.initialized) {
                park(room, offset, new Room.Parked(epoch, json, exclude));
                return;
            }
            if (!epoch.equals(room.epoch)) {
                if (epoch.equals(room.previousEpoch)) {
                    return;
                }
                resync(room, epoch, offset - 1, "its history was lost");
            }
            long next = room.lastDelivered + 1;
            if (offset < next) {
                return;
            }
            if (offset > next) {
                park(room, offset, new Room.Parked(epoch, json, exclude));
                scheduleGapCheck(room, ctx.config().cluster().gapTimeout().toNanos());
                return;
            }
            deliverNumbered(room, offset, json, exclude);
            drainParked(room);
        }
    }

    private void park(Room room, long offset, Room.Parked message) {
        if (room.parked.size() >= MAX_PARKED) {
            // History has it: the gap check reads everything after lastDelivered anyway.
            room.catchUp = true;
            scheduleGapCheck(room, 0);
            return;
        }
        room.parked.put(offset, message);
    }

    private void deliverNumbered(Room room, long offset, byte[] json, String exclude) {
        room.lastDelivered = offset;
        if (room.policy.latestOnly()) {
            room.latestJson = json;
            room.latestOffset = offset;
        }
        if (room.recoveringJoins > 0) {
            room.recent.put(offset, json);
            if (room.recent.size() > MAX_RECENT) {
                room.recent.pollFirstEntry();
            }
        }
        Connection skip = exclude == null ? null : connections.apply(exclude);
        fanOut.fanOutLocked(room, json, skip, offset);
    }

    /** Delivers parked messages whose turn came; drops those already delivered. Caller holds the monitor. */
    private void drainParked(Room room) {
        while (!room.parked.isEmpty()) {
            Map.Entry<Long, Room.Parked> first = room.parked.firstEntry();
            long offset = first.getKey();
            Room.Parked p = first.getValue();
            if (!p.epoch().equals(room.epoch) || offset <= room.lastDelivered) {
                room.parked.pollFirstEntry();
            } else if (offset == room.lastDelivered + 1) {
                room.parked.pollFirstEntry();
                deliverNumbered(room, offset, p.json(), p.exclude());
            } else {
                return;
            }
        }
    }

    void scheduleGapCheck(Room room, long delayNanos) {
        if (room.gapCheckPending) {
            return;
        }
        room.gapCheckPending = true;
        try {
            ctx.scheduler().schedule(() -> fillGap(room), delayNanos);
        } catch (RejectedExecutionException e) {
            room.gapCheckPending = false; // the hub is closing
        }
    }

    /** Reads from history what this node missed of a room, and delivers it in order. */
    private void fillGap(Room room) {
        long after;
        long parkedBeforeRead;
        int limit = Math.max(1, ctx.config().history().size());
        synchronized (room) {
            room.gapCheckPending = false;
            if (room.removed || !room.initialized || (room.parked.isEmpty() && !room.catchUp)) {
                return;
            }
            room.catchUp = false;
            after = room.lastDelivered;
            // Appended before it was published, so before this read: history must hold everything up to it.
            parkedBeforeRead = room.parked.isEmpty() ? 0 : room.parked.firstKey();
        }
        CompletableFuture<HistoryStore.Page> page = calls.store(() -> history.read(room.name, after, limit));
        page.whenComplete((p, e) -> {
            synchronized (room) {
                if (e != null) {
                    log.atWarn().addKeyValue("room", room.name)
                            .log("reading the history of room {} to fill a gap failed, retrying: {}", room.name,
                                    Failures.rootCause(e).toString());
                    room.catchUp = true;
                    scheduleGapCheck(room, ctx.config().cluster().timeout().toNanos());
                    return;
                }
                applyHistory(room, p, limit, parkedBeforeRead);
            }
        });
    }

    private void applyHistory(Room room, HistoryStore.Page page, int limit, long parkedBeforeRead) {
        if (room.removed) {
            return;
        }
        if (!page.epoch().equals(room.epoch)) {
            long last = page.messages().isEmpty() ? 0 : page.messages().get(page.messages().size() - 1).offset();
            resync(room, page.epoch(), last, "its history was lost");
            return;
        }
        for (RoomMessage m : page.messages()) {
            long next = room.lastDelivered + 1;
            if (m.offset() < next) {
                continue;
            }
            if (m.offset() > next) {
                resync(room, room.epoch, m.offset() - 1, "offsets " + next + ".." + (m.offset() - 1)
                        + " are no longer in history");
            }
            Room.Parked p = room.parked.remove(m.offset());
            deliverNumbered(room, m.offset(), p != null ? p.json() : codec.encode(m), p != null ? p.exclude() : null);
        }
        drainParked(room);
        if (page.messages().size() >= limit) {
            room.catchUp = true;
            scheduleGapCheck(room, 0);
        } else if (parkedBeforeRead > room.lastDelivered + 1) {
            long missing = room.lastDelivered + 1;
            resync(room, room.epoch, parkedBeforeRead - 1, "offsets " + missing + ".." + (parkedBeforeRead - 1)
                    + " are no longer in history");
            drainParked(room);
        } else if (!room.parked.isEmpty()) {
            // Parked while the read was under way: their predecessors may still be on their way too.
            scheduleGapCheck(room, ctx.config().cluster().gapTimeout().toNanos());
        }
    }

    /**
     * This node cannot deliver a contiguous sequence of the room any more (its history was lost, or
     * offsets were trimmed before this node could read them): the room continues from {@code lastOffset}
     * of {@code epoch}, and its members here are closed with 1012 so that they rejoin with {@code since}
     * and learn {@code recovered:false} instead of silently missing messages. Caller holds the monitor.
     */
    void resync(Room room, String epoch, long lastOffset, String why) {
        log.atWarn().addKeyValue("room", room.name).addKeyValue("members", room.members.size())
                .log("room {} cannot be delivered in order on this node: {}; closing its {} members here so "
                        + "that they recover", room.name, why, room.members.size());
        if (!epoch.equals(room.epoch)) {
            room.previousEpoch = room.epoch;
            room.epoch = epoch;
        }
        room.lastDelivered = lastOffset;
        room.parked.headMap(lastOffset, true).clear();
        for (Connection c : room.members.values()) {
            closer.close(c, CloseCode.SERVICE_RESTART, "room " + room.name + " must be recovered",
                    DisconnectReason.RESYNC);
        }
    }
}
