package io.switchboard.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A message published to a room, as delivered by the server. Immutable.
 *
 * @param room the room
 * @param from user id of the publisher
 * @param connId connection of the publisher; {@code null} for messages from the backend API
 * @param content text content, or {@code null}
 * @param data JSON data, or {@code null}
 * @param offset position in the room's history; increases by exactly 1 per message
 * @param ts server time of publication, epoch milliseconds
 */
public record RoomMessage(String room, String from, String connId, String content, JsonNode data, long offset,
                          long ts) {
}
