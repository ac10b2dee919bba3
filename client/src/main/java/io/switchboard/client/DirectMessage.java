package io.switchboard.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A private message or a broadcast (neither has an offset, neither is recovered). Immutable.
 *
 * @param broadcast {@code true} for a broadcast to everyone, {@code false} for a private message to this user
 * @param from user id of the sender
 * @param connId connection of the sender; {@code null} for messages from the backend API
 * @param content text content, or {@code null}
 * @param data JSON data, or {@code null}
 * @param ts server time, epoch milliseconds
 */
public record DirectMessage(boolean broadcast, String from, String connId, String content, JsonNode data, long ts) {
}
