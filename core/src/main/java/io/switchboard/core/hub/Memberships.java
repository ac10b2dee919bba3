package io.switchboard.core.hub;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * One connection's memberships by room name. Most connections join one room or a few, and every idle
 * connection pays for this per room: up to {@link #ARRAY_MAX} rooms it is an array of exactly that many
 * memberships searched in order (48 bytes for one room with this holder, where a {@code HashMap} was about
 * 100), beyond that a map, so a connection allowed thousands of rooms does not join or leave in linear time.
 * In array form iterating walks a snapshot, so a membership may be removed during it; in map form, as with any
 * map, it may not. Confined to the connection's shard thread.
 */
final class Memberships implements Iterable<Membership> {
    /** Beyond this many rooms the memberships move to a map. */
    static final int ARRAY_MAX = 8;
    private static final Membership[] NONE = new Membership[0];

    private Membership[] array = NONE;
    /** Non-null once more than {@link #ARRAY_MAX} rooms were joined; then {@link #array} is unused. */
    private Map<String, Membership> map;

    Membership get(String room) {
        if (map != null) {
            return map.get(room);
        }
        for (Membership m : array) {
            if (m.room.name.equals(room)) {
                return m;
            }
        }
        return null;
    }

    boolean contains(String room) {
        return get(room) != null;
    }

    /** Adds {@code m}, or replaces the membership of its room. */
    void put(Membership m) {
        String room = m.room.name;
        if (map != null) {
            map.put(room, m);
            return;
        }
        for (int i = 0; i < array.length; i++) {
            if (array[i].room.name.equals(room)) {
                Membership[] replaced = array.clone();
                replaced[i] = m;
                array = replaced;
                return;
            }
        }
        if (array.length == ARRAY_MAX) {
            map = new HashMap<>();
            for (Membership held : array) {
                map.put(held.room.name, held);
            }
            map.put(room, m);
            array = NONE;
            return;
        }
        Membership[] grown = Arrays.copyOf(array, array.length + 1);
        grown[array.length] = m;
        array = grown;
    }

    /** Removes and answers the membership of {@code room}, or null when there was none. */
    Membership remove(String room) {
        if (map != null) {
            return map.remove(room);
        }
        for (int i = 0; i < array.length; i++) {
            Membership m = array[i];
            if (m.room.name.equals(room)) {
                Membership[] shrunk = array.length == 1 ? NONE : new Membership[array.length - 1];
                System.arraycopy(array, 0, shrunk, 0, i);
                System.arraycopy(array, i + 1, shrunk, i, array.length - i - 1);
                array = shrunk;
                return m;
            }
        }
        return null;
    }

    int size() {
        return map != null ? map.size() : array.length;
    }

    void clear() {
        array = NONE;
        map = null;
    }

    /** The rooms' names, a copy. */
    List<String> names() {
        List<String> names = new ArrayList<>(size());
        for (Membership m : this) {
            names.add(m.room.name);
        }
        return names;
    }

    @Override
    public Iterator<Membership> iterator() {
        return map != null ? map.values().iterator() : Arrays.asList(array).iterator();
    }
}
