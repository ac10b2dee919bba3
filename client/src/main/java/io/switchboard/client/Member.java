package io.switchboard.client;

/** A member of a room: one connection of a user. Immutable. */
public record Member(String userId, String connId) {
}
