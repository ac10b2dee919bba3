package io.switchboard.core.config;

import java.time.Duration;

/**
 * Hub behaviour.
 *
 * @param notifyGlobalPresence send {@code user_joined}/{@code user_left} to every connection (O(N) per connect)
 * @param maxRoomMembers joins beyond this answer {@code room_full}
 * @param maxPendingFanouts delivery tasks queued per event loop before publishes answer {@code unavailable}
 * @param flushInterval least time between two flushes of fan-out frames to one connection (0 to 1s); 0
 *     flushes as soon as the event loop is free. Longer gathers more frames per system call: less CPU per
 *     delivery under heavy fan-out, at up to this much added latency (plus a tenth). Set, it replaces
 *     adaptive flushing
 * @param maxFlushDelay adaptive flushing (when {@code flushInterval} is 0): the most a fan-out frame waits for
 *     more frames to the same connection (0 to 1s). An event loop whose flushes take a large share of its
 *     time gathers each connection's frames for up to this long; an idle one flushes at once. 0 turns it
 *     off: every batch is flushed as soon as the event loop is free
 */
public record Hub(boolean notifyGlobalPresence, int maxRoomMembers, int maxPendingFanouts, Duration flushInterval,
                  Duration maxFlushDelay) {

    public Hub {
        Check.range("hub.maxRoomMembers", maxRoomMembers, 1, 10_000_000);
        Check.range("hub.maxPendingFanouts", maxPendingFanouts, 16, 10_000_000);
        Check.range("hub.flushInterval", flushInterval, Duration.ZERO, Duration.ofSeconds(1));
        Check.range("hub.maxFlushDelay", maxFlushDelay, Duration.ZERO, Duration.ofSeconds(1));
    }

    /** The documented defaults. */
    public static Hub defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder().notifyGlobalPresence(notifyGlobalPresence).maxRoomMembers(maxRoomMembers)
                .maxPendingFanouts(maxPendingFanouts).flushInterval(flushInterval).maxFlushDelay(maxFlushDelay);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private boolean notifyGlobalPresence;
        private int maxRoomMembers = 1_000_000;
        private int maxPendingFanouts = 65536;
        private Duration flushInterval = Duration.ZERO;
        private Duration maxFlushDelay = Duration.ofMillis(10);

        private Builder() {
        }

        public Builder notifyGlobalPresence(boolean value) {
            notifyGlobalPresence = value;
            return this;
        }

        public Builder maxRoomMembers(int value) {
            maxRoomMembers = value;
            return this;
        }

        public Builder maxPendingFanouts(int value) {
            maxPendingFanouts = value;
            return this;
        }

        public Builder flushInterval(Duration value) {
            flushInterval = value;
            return this;
        }

        public Builder maxFlushDelay(Duration value) {
            maxFlushDelay = value;
            return this;
        }

        public Hub build() {
            return new Hub(notifyGlobalPresence, maxRoomMembers, maxPendingFanouts, flushInterval, maxFlushDelay);
        }
    }
}
