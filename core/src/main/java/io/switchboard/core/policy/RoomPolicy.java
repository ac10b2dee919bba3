package io.switchboard.core.policy;

import java.time.Duration;

/**
 * What one room allows and keeps: the options of its namespace ({@code namespaces.<name>.*}) over the
 * defaults. Immutable.
 *
 * @param namespace the configured namespace the room is in, or null when it takes the defaults
 * @param historySize messages kept; 0 keeps none and recovers nothing
 * @param historyTtl how long a message is kept
 * @param presence what members learn about each other
 * @param joinLeave whether members get {@code user_joined_room} and {@code user_left_room}
 * @param clientPublish whether members may publish (the backend API always may)
 * @param maxMembers members on one node beyond which joins answer {@code room_full}
 * @param latestOnly {@code delivery: latest}: a member whose writes are backed up gets only the room's newest
 *     message once it catches up, and a joiner gets the newest message right after {@code room_joined}
 */
public record RoomPolicy(String namespace, int historySize, Duration historyTtl, Presence presence, boolean joinLeave,
                         boolean clientPublish, int maxMembers, boolean latestOnly) {

    /** {@code namespaces.<name>.presence}. */
    public enum Presence {
        /** Member lists and counts. */
        FULL,
        /** Counts only, never who. */
        COUNTS,
        /** Neither; the {@code presence} command answers {@code presence_disabled}. */
        OFF
    }

    /** The key that sets {@code option} for this room, as error texts quote it: {@code namespaces.dash.presence}. */
    public String key(String option) {
        return namespace == null ? "namespaces.<name>." + option : "namespaces." + namespace + "." + option;
    }
}
