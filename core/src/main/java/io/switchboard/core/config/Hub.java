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
 * @param overloadPolicy what gives when a room's members cannot take its messages as fast as they come:
 *     {@code close} drops the members that fall behind (close 4008, they reconnect and recover);
 *     {@code throttle} slows the publishers instead: while a member's writes are backlogged, or an event
 *     loop holding members has more than a sixteenth of {@code maxPendingFanouts} deliveries queued, the
 *     server stops reading from the connections that publish into the room, and the API answers
 *     {@code unavailable} with a retry hint. A member that stops reading altogether is still closed
 *     after {@code websocket.writeWait}
 */
public record Hub(boolean notifyGlobalPresence, int maxRoomMembers, int maxPendingFanouts, Duration flushInterval,
                  Duration maxFlushDelay, String overloadPolicy) {

    /** {@code hub.overloadPolicy}: members that fall behind are closed (4008). */
    public static final String OVERLOAD_CLOSE = "close";
    /** {@code hub.overloadPolicy}: publishers into a backed-up room are slowed down. */
    public static final String OVERLOAD_THROTTLE = "throttle";
    public static final java.util.List<String> OVERLOAD_POLICIES = java.util.List.of(OVERLOAD_CLOSE, OVERLOAD_THROTTLE);

    public Hub {
        Check.range("hub.maxRoomMembers", maxRoomMembers, 1, 10_000_000);
        Check.range("hub.maxPendingFanouts", maxPendingFanouts, 16, 10_000_000);
        Check.range("hub.flushInterval", flushInterval, Duration.ZERO, Duration.ofSeconds(1));
        Check.range("hub.maxFlushDelay", maxFlushDelay, Duration.ZERO, Duration.ofSeconds(1));
        Check.oneOf("hub.overloadPolicy", overloadPolicy, OVERLOAD_POLICIES);
    }

    /** Whether publishers into a backed-up room are slowed down rather than its members closed. */
    public boolean throttles() {
        return OVERLOAD_THROTTLE.equals(overloadPolicy);
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
                .maxPendingFanouts(maxPendingFanouts).flushInterval(flushInterval).maxFlushDelay(maxFlushDelay).overloadPolicy(overloadPolicy);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private boolean notifyGlobalPresence;
        private int maxRoomMembers = 1_000_000;
        private int maxPendingFanouts = 65536;
        private Duration flushInterval = Duration.ZERO;
        private Duration maxFlushDelay = Duration.ofMillis(10);
        private String overloadPolicy = OVERLOAD_CLOSE;

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

        public Builder overloadPolicy(String value) {
            overloadPolicy = value;
            return this;
        }

        public Hub build() {
            return new Hub(notifyGlobalPresence, maxRoomMembers, maxPendingFanouts, flushInterval, maxFlushDelay,
                    overloadPolicy);
        }
    }
}
