package io.switchboard.core.history;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ServerMessage.RoomMessage;

/**
 * How shared history stores keep one message: JSON of its fields without room and offset (the store keeps
 * those itself). Thread-safe. Uses the protocol's mapper, so replayed data keeps its numbers' text, as live
 * delivery does.
 */
public final class StoredMessages {
    private final ObjectMapper json = new JsonCodec().mapper();

    /** The stored form of a message. */
    public String encode(String from, String connId, String content, JsonNode data, long ts)
            throws JsonProcessingException {
        ObjectNode m = json.createObjectNode();
        if (from != null) {
            m.put("from", from);
        }
        if (connId != null) {
            m.put("connId", connId);
        }
        if (content != null) {
            m.put("content", content);
        }
        if (data != null) {
            m.set("data", data);
        }
        m.put("ts", ts);
        return json.writeValueAsString(m);
    }

    /**
     * The message kept as {@code stored} at {@code offset} of {@code room}.
     *
     * @throws IllegalStateException when {@code stored} is not what {@link #encode} writes
     */
    public RoomMessage decode(String room, long offset, String stored) {
        JsonNode m;
        try {
            m = json.readTree(stored);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable history entry " + offset + " of room " + room, e);
        }
        return new RoomMessage(room, text(m, "from"), text(m, "connId"), text(m, "content"), m.get("data"),
                offset, m.path("ts").asLong());
    }

    private static String text(JsonNode m, String field) {
        JsonNode v = m.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
