package io.switchboard.server.hooks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.switchboard.core.hooks.LifecycleEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The body of a webhook request, {@code {"events":[…]}}, and a spool line, one event with its {@code seq}; optional
 * fields are left out when absent. Stateless.
 */
final class EventJson {
    private static final JsonFactory JSON = new JsonFactory();

    private EventJson() {
    }

    static byte[] encode(List<LifecycleEvent> batch) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128 * batch.size() + 16);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("events");
            for (LifecycleEvent e : batch) {
                g.writeStartObject();
                writeFields(g, e);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return out.toByteArray();
    }

    /**
     * One line of a spool segment: the event as in a request, preceded by its {@code seq}, and a newline. The
     * generator escapes control characters in strings, so the only newline is the last byte.
     */
    static byte[] line(QueuedEvent queued) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(200);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("seq", queued.seq());
            writeFields(g, queued.event());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    /**
     * The event of a spool line written by {@link #line}.
     *
     * @throws IOException when the line is not such an event (a line torn by a crash)
     */
    static QueuedEvent parseLine(String line) throws IOException {
        Map<String, String> text = new HashMap<>();
        long seq = -1;
        long ts = -1;
        try (JsonParser p = JSON.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                    throw new IOException("field " + name + " is not a scalar");
                }
                switch (name) {
                    case "seq" -> seq = p.getLongValue();
                    case "ts" -> ts = p.getLongValue();
                    default -> text.put(name, value == JsonToken.VALUE_NULL ? null : p.getValueAsString());
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new IOException("not one complete JSON object");
            }
        }
        LifecycleEvent.Type type = LifecycleEvent.Type.fromWireName(text.get("type"));
        if (seq < 1 || ts < 0 || type == null || text.get("id") == null || text.get("node") == null) {
            throw new IOException("not a spooled event (seq, id, type, ts or node missing)");
        }
        return new QueuedEvent(seq, new LifecycleEvent(text.get("id"), type, ts, text.get("node"), text.get("userId"),
                text.get("connId"), text.get("room"), text.get("reason")));
    }

    private static void writeFields(JsonGenerator g, LifecycleEvent e) throws IOException {
        g.writeStringField("id", e.id());
        g.writeStringField("type", e.type().wireName());
        g.writeNumberField("ts", e.ts());
        g.writeStringField("node", e.node());
        g.writeStringField("userId", e.userId());
        g.writeStringField("connId", e.connId());
        if (e.room() != null) {
            g.writeStringField("room", e.room());
        }
        if (e.reason() != null) {
            g.writeStringField("reason", e.reason());
        }
    }
}
