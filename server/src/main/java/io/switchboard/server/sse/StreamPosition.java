package io.switchboard.server.sse;

import io.switchboard.protocol.Command;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

/**
 * Where an event stream stands in each of its rooms (offset and epoch per room), written as every event's
 * {@code id} and read back from {@code Last-Event-ID} on reconnect. The id is compact because a browser sends
 * it as a header on every reconnect, under {@code security.maxHeaderBytes}: the rooms are not repeated (they
 * are in the stream's URL, which a browser reuses), only a tag of the room list, then one
 * {@code offset.epoch} per room in the URL's order, empty for a room not joined yet:
 * {@code 1k2j3a:42.k9x2m1,,7.q0a1b2}. An id whose tag does not match the rooms, or that does not parse, gives
 * no position at all. Confined to the stream's event loop.
 */
final class StreamPosition {
    /** Epochs as the history stores make them; anything else is not put in an id nor read from one. */
    private static final Pattern EPOCH = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern OFFSET = Pattern.compile("0|[1-9][0-9]{0,17}");

    private final List<String> rooms;
    private final String tag;
    private final long[] offsets;
    private final String[] epochs;

    StreamPosition(List<String> rooms) {
        this.rooms = List.copyOf(rooms);
        this.tag = tag(this.rooms);
        this.offsets = new long[rooms.size()];
        this.epochs = new String[rooms.size()];
        Arrays.fill(offsets, -1);
    }

    /** A tag of the room list: an id read back is only used for the same rooms in the same order. */
    private static String tag(List<String> rooms) {
        CRC32 crc = new CRC32();
        crc.update(String.join(",", rooms).getBytes(StandardCharsets.UTF_8));
        return Long.toString(crc.getValue(), 36);
    }

    List<String> rooms() {
        return rooms;
    }

    /**
     * Reads a {@code Last-Event-ID}: false, leaving every room without a position, when it is not an id of this
     * room list.
     */
    boolean restore(String lastEventId) {
        int colon = lastEventId.indexOf(':');
        if (colon < 0 || !lastEventId.substring(0, colon).equals(tag)) {
            return false;
        }
        String[] entries = lastEventId.substring(colon + 1).split(",", -1);
        if (entries.length != rooms.size()) {
            return false;
        }
        long[] o = new long[entries.length];
        String[] e = new String[entries.length];
        for (int i = 0; i < entries.length; i++) {
            o[i] = -1;
            if (entries[i].isEmpty()) {
                continue;
            }
            int dot = entries[i].indexOf('.');
            if (dot < 0 || !OFFSET.matcher(entries[i].substring(0, dot)).matches()
                    || !EPOCH.matcher(entries[i].substring(dot + 1)).matches()) {
                return false;
            }
            o[i] = Long.parseLong(entries[i].substring(0, dot));
            e[i] = entries[i].substring(dot + 1);
        }
        System.arraycopy(o, 0, offsets, 0, o.length);
        System.arraycopy(e, 0, epochs, 0, e.length);
        return true;
    }

    /** Where to recover {@code room} from, or null when the stream has no position in it. */
    Command.Since since(int room) {
        return offsets[room] < 0 ? null : new Command.Since(offsets[room], epochs[room]);
    }

    /**
     * Moves the position by one event: a {@code room_joined} sets the room's position, a {@code room_message}
     * its offset (never backwards). Other events leave it.
     */
    void advance(EventHead head) {
        int i = head.room() == null ? -1 : rooms.indexOf(head.room());
        if (i < 0 || head.offset() < 0) {
            return;
        }
        if (head.type().equals("room_joined")) {
            boolean usable = head.epoch() != null && EPOCH.matcher(head.epoch()).matches();
            offsets[i] = usable ? head.offset() : -1;
            epochs[i] = usable ? head.epoch() : null;
        } else if (head.type().equals("room_message") && epochs[i] != null && head.offset() > offsets[i]) {
            offsets[i] = head.offset();
        }
    }

    /** The id of the stream's current position. */
    String id() {
        StringBuilder b = new StringBuilder(tag.length() + 1 + rooms.size() * 16).append(tag).append(':');
        for (int i = 0; i < offsets.length; i++) {
            if (i > 0) {
                b.append(',');
            }
            if (offsets[i] >= 0) {
                b.append(offsets[i]).append('.').append(epochs[i]);
            }
        }
        return b.toString();
    }
}
