package io.switchboard.client;

/**
 * Events of one room. Pass one to {@link SwitchboardClient#join(String, RoomListener)} to route a
 * room's events to it; rooms joined without one report to the client's {@link ClientListener}.
 *
 * <p>Threading: called on the client's callback executor (see {@link ClientConfig#callbackExecutor()}),
 * never concurrently for the same client, in the order the events arrived. Every method has an
 * empty default. A method that throws is logged to {@code System.err} and does not stop delivery.
 */
public interface RoomListener {

    /**
     * A room message. Delivered exactly once per offset and in offset order across reconnects: after
     * a rejoin, replayed messages come first, and any the application already saw are dropped.
     */
    default void onRoomMessage(RoomMessage message) {
    }

    /** The server confirmed a join, the first one or a rejoin after a reconnect. */
    default void onJoined(RoomJoined joined) {
    }

    /**
     * A rejoin after a reconnect could not replay what was missed ({@code recovered:false}: the
     * server's history changed epoch or no longer reaches back far enough). Messages may have been
     * lost; resynchronise from the application's own source of truth. Offsets continue from
     * {@code joined.offset()}. Called after {@link #onJoined}.
     */
    default void onRecoveryFailed(RoomJoined joined) {
    }

    /** Another connection joined the room. */
    default void onMemberJoined(String room, Member member) {
    }

    /** A connection left the room. */
    default void onMemberLeft(String room, Member member) {
    }
}
