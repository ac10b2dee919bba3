package io.switchboard.core.hub;

/** A room with members on this node, and how many. */
public record RoomSummary(String room, int members) {
}
