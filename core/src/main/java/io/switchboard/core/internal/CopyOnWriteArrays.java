package io.switchboard.core.internal;

import java.util.Arrays;
import java.util.function.Predicate;

/**
 * Copy-on-write arrays for the small per-key groups of a concurrent map (a user's connections): one
 * array per key instead of a concurrent set, which costs a map, a table and a node for each member.
 * Meant to be called inside the map's {@code compute}, so that changes of one key are serialized.
 */
public final class CopyOnWriteArrays {
    private CopyOnWriteArrays() {
    }

    /** A new array of {@code array}'s elements and then {@code element}. */
    public static <T> T[] with(T[] array, T element) {
        T[] grown = Arrays.copyOf(array, array.length + 1);
        grown[array.length] = element;
        return grown;
    }

    /**
     * A new array without the first element that matches, {@code array} itself when none does, or null
     * when nothing is left (so {@code compute} removes the key).
     */
    public static <T> T[] without(T[] array, Predicate<? super T> match) {
        for (int i = 0; i < array.length; i++) {
            if (match.test(array[i])) {
                if (array.length == 1) {
                    return null;
                }
                T[] shrunk = Arrays.copyOf(array, array.length - 1);
                System.arraycopy(array, i + 1, shrunk, i, array.length - 1 - i);
                return shrunk;
            }
        }
        return array;
    }
}
