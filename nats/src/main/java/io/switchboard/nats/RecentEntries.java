package io.switchboard.nats;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The newest messages of the rooms a node appends to or reads, kept in memory so that the clients of a room
 * recovering at once (a node lost, a reconnect storm) are served without one JetStream read each. Only ever
 * a copy: a range is served only when the room's position, read from JetStream just before, shows what it
 * must contain. Thread-safe: every method holds the instance's monitor, which guards all fields.
 *
 * <p>Per room, a run of consecutive offsets of one epoch, at most {@code perRoom}; a message that does not
 * continue the run (another node appended in between, a new epoch) starts a new run. Across rooms, at most
 * {@code maxBytes} of message data: beyond, the least recently used room is forgotten (overflow policy
 * <em>evict oldest</em>).
 */
final class RecentEntries {
    private final int perRoom;
    private final long maxBytes;
    private final LinkedHashMap<String, ArrayDeque<HistoryEntry>> rooms = new LinkedHashMap<>(64, 0.75f, true);
    private long bytes;
    private long evictions;

    RecentEntries(int perRoom, long maxBytes) {
        this.perRoom = perRoom;
        this.maxBytes = maxBytes;
    }

    /** Adds {@code e} to its room's run: after the run's last, else as the start of a new run. */
    synchronized void add(String room, HistoryEntry e) {
        if (e.offset() < 1 || perRoom == 0) {
            return;
        }
        ArrayDeque<HistoryEntry> run = rooms.computeIfAbsent(room, r -> new ArrayDeque<>());
        HistoryEntry last = run.peekLast();
        if (last != null && last.epoch().equals(e.epoch()) && e.offset() <= last.offset()) {
            return;
        }
        if (last != null && (!last.epoch().equals(e.epoch()) || e.offset() != last.offset() + 1)) {
            clear(run);
        }
        run.addLast(e);
        bytes += e.data().length;
        if (run.size() > perRoom) {
            bytes -= run.removeFirst().data().length;
        }
        Iterator<Map.Entry<String, ArrayDeque<HistoryEntry>>> eldest = rooms.entrySet().iterator();
        while (bytes > maxBytes && eldest.hasNext()) {
            Map.Entry<String, ArrayDeque<HistoryEntry>> victim = eldest.next();
            if (victim.getValue() == run) {
                break;
            }
            clear(victim.getValue());
            eldest.remove();
            evictions++;
        }
    }

    /** The room's run, offsets after {@code after} up to {@code upTo} in {@code epoch}, or null when not all held. */
    synchronized List<HistoryEntry> range(String room, String epoch, long after, long upTo) {
        ArrayDeque<HistoryEntry> run = rooms.get(room);
        if (run == null || run.isEmpty() || !run.peekFirst().epoch().equals(epoch)
                || run.peekFirst().offset() > after + 1 || run.peekLast().offset() < upTo) {
            return null;
        }
        List<HistoryEntry> out = new ArrayList<>((int) Math.max(0, upTo - after));
        for (HistoryEntry e : run) {
            if (e.offset() > after && e.offset() <= upTo) {
                out.add(e);
            }
        }
        return out;
    }

    /** The newest held message of the room at or before {@code after}'s successor, or null: where a read may resume. */
    synchronized HistoryEntry newest(String room, String epoch, long after) {
        ArrayDeque<HistoryEntry> run = rooms.get(room);
        if (run == null || run.isEmpty() || !run.peekFirst().epoch().equals(epoch)
                || run.peekFirst().offset() > after + 1) {
            return null;
        }
        return run.peekLast();
    }

    /** Rooms forgotten to stay within the byte budget. */
    synchronized long evictions() {
        return evictions;
    }

    private void clear(ArrayDeque<HistoryEntry> run) {
        for (HistoryEntry e : run) {
            bytes -= e.data().length;
        }
        run.clear();
    }
}
