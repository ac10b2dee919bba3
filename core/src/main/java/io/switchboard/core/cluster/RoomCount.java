package io.switchboard.core.cluster;

/** A room and how many members it has: on one node, or summed over the cluster. */
public record RoomCount(String room, int members) {
}
