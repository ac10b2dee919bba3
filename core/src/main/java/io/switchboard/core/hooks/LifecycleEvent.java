package io.switchboard.core.hooks;

import java.util.Locale;
import java.util.Objects;

/**
 * Something that happened to a connection or a room, as the backend hears of it.
 *
 * @param id unique across nodes and restarts: a receiver that sees an id twice is seeing a retry
 * @param type what happened
 * @param ts when, in milliseconds since the epoch
 * @param node the node that saw it; for an event of a lost node's connection (reason {@code node_lost}), the node
 *     that was lost
 * @param userId the connection's user
 * @param connId the connection
 * @param room the room of a join, leave, occupied, vacated or publish; null otherwise
 * @param reason why a connection ended ({@code node_lost}: its node died), or why it left a room because it ended;
 *     null otherwise
 */
public record LifecycleEvent(String id, Type type, long ts, String node, String userId, String connId, String room,
                             String reason) {

    public LifecycleEvent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(node, "node");
    }

    /** The kinds of event, each with the name it has on the wire and in {@code hooks.events}. */
    public enum Type {
        CONNECT,
        DISCONNECT,
        JOIN,
        LEAVE,
        /** A room's member count went from 0 to 1. */
        OCCUPIED,
        /** A room's member count went from 1 to 0. */
        VACATED,
        /** A client published a room message (not sent unless asked for: it is by far the most frequent). */
        PUBLISH;

        private final String wireName = name().toLowerCase(Locale.ROOT);

        public String wireName() {
            return wireName;
        }

        /** The type named {@code name} on the wire, or null. */
        public static Type fromWireName(String name) {
            for (Type t : values()) {
                if (t.wireName.equals(name)) {
                    return t;
                }
            }
            return null;
        }
    }
}
