package io.switchboard.server.hooks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.switchboard.core.hooks.LifecycleEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/** The body of a webhook request: {@code {"events":[…]}}, optional fields left out when absent. Stateless. */
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
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return out.toByteArray();
    }
}
