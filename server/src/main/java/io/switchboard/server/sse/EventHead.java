package io.switchboard.server.sse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The top-level fields of one server message that an event stream needs besides its bytes: the {@code type}
 * (the event's name), and for room positions the {@code room}, {@code offset}, {@code epoch} and
 * {@code recovered}. Nested values ({@code data}, {@code members}) are skipped, so a {@code data} that holds
 * its own {@code "offset"} changes nothing. Derived once per fanned-out frame, once per reply. Immutable.
 *
 * @param offset the message's offset, or -1
 * @param recovered the {@code recovered} field of {@code room_joined}, or null when absent
 */
record EventHead(String type, String room, long offset, String epoch, Boolean recovered) {
    private static final JsonFactory JSON = new JsonFactory();
    /** A message the server wrote but that does not parse: never expected, still named rather than dropped. */
    static final EventHead UNKNOWN = new EventHead("message", null, -1, null, null);

    static EventHead of(ByteBuf json) {
        try (InputStream in = new ByteBufInputStream(json.duplicate())) {
            return parse(JSON.createParser(in));
        } catch (IOException | RuntimeException e) {
            return UNKNOWN;
        }
    }

    static EventHead of(byte[] json) {
        try {
            return parse(JSON.createParser(json));
        } catch (IOException | RuntimeException e) {
            return UNKNOWN;
        }
    }

    private static EventHead parse(JsonParser p) throws IOException {
        try (p) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return UNKNOWN;
            }
            String type = null;
            String room = null;
            String epoch = null;
            long offset = -1;
            Boolean recovered = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "type" -> type = value == JsonToken.VALUE_STRING ? p.getText() : type;
                    case "room" -> room = value == JsonToken.VALUE_STRING ? p.getText() : room;
                    case "epoch" -> epoch = value == JsonToken.VALUE_STRING ? p.getText() : epoch;
                    case "offset" -> offset = value == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : offset;
                    case "recovered" -> recovered = value.isBoolean() ? value == JsonToken.VALUE_TRUE : recovered;
                    default -> p.skipChildren();
                }
            }
            return type == null ? UNKNOWN : new EventHead(type, room, offset, epoch, recovered);
        }
    }
}
