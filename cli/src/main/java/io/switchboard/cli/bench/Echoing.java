package io.switchboard.cli.bench;

/** A closed-loop echo connection of {@link LeanConnections}: one message in flight, the next sent on each reply. */
interface Echoing {
    /** Sends the first message (any thread). */
    void start();
}
