package io.switchboard.core.history;

import java.time.Duration;

/**
 * How much of one room's history a store keeps. Immutable.
 *
 * @param size messages kept, {@code >= 0}; 0 keeps none (offsets are still assigned)
 * @param ttl how long a message is kept, and how long an unused room's offsets live; positive
 */
public record Retention(int size, Duration ttl) {

    /** Each room's retention. Implementations are thread-safe and answer at once (stores call it per append). */
    @FunctionalInterface
    public interface Lookup {
        Retention retention(String room);

        /** The same retention for every room. */
        static Lookup fixed(int size, Duration ttl) {
            Retention r = new Retention(size, ttl);
            return room -> r;
        }
    }
}
