package io.switchboard.core.config;

import java.time.Duration;

/**
 * Room presence at scale: how many members a join lists, and when joins and leaves are batched.
 *
 * @param joinMembersLimit members listed in {@code room_joined} at most, the first in member order; with more,
 *     it says {@code membersTruncated} and the client pages the rest with {@code presence}
 * @param diffAboveMembers in a room with more members than this on a node, joins and leaves reach its members
 *     there as one {@code presence_diff} per {@code presence.diffInterval} instead of a notice each
 * @param diffInterval least time between two {@code presence_diff} of a room
 */
public record Presence(int joinMembersLimit, int diffAboveMembers, Duration diffInterval) {

    public Presence {
        Check.range("presence.joinMembersLimit", joinMembersLimit, 0, 10_000);
        Check.range("presence.diffAboveMembers", diffAboveMembers, 0, 10_000_000);
        Check.range("presence.diffInterval", diffInterval, Duration.ofMillis(10), Duration.ofMinutes(1));
    }

    /** The documented defaults. */
    public static Presence defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder().joinMembersLimit(joinMembersLimit).diffAboveMembers(diffAboveMembers)
                .diffInterval(diffInterval);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private int joinMembersLimit = 100;
        private int diffAboveMembers = 1000;
        private Duration diffInterval = Duration.ofSeconds(1);

        private Builder() {
        }

        public Builder joinMembersLimit(int value) {
            joinMembersLimit = value;
            return this;
        }

        public Builder diffAboveMembers(int value) {
            diffAboveMembers = value;
            return this;
        }

        public Builder diffInterval(Duration value) {
            diffInterval = value;
            return this;
        }

        public Presence build() {
            return new Presence(joinMembersLimit, diffAboveMembers, diffInterval);
        }
    }
}
