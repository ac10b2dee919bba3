package io.switchboard.cli;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.switchboard.server.observability.LogRedaction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.slf4j.event.KeyValuePair;

/**
 * Logback encoder writing one JSON object per line with stable field names: {@code ts} (ISO-8601 UTC),
 * {@code level}, {@code logger}, {@code thread}, {@code msg}, then the event's key/value pairs
 * ({@code connId}, {@code userId}, {@code remote}, ...) and MDC entries as top-level fields, and
 * {@code error} with the stack trace when an exception is attached. Messages and string values pass
 * through {@link LogRedaction}, so a token in a logged URL never reaches the output. Thread-safe
 * (Logback serialises calls per appender; the generator is per call).
 */
public final class JsonLinesEncoder extends EncoderBase<ILoggingEvent> {
    /** The fixed fields; key/values with these names are prefixed with {@code kv_} rather than overwrite them. */
    static final Set<String> FIXED_FIELDS = Set.of("ts", "level", "logger", "thread", "msg", "error");
    private static final byte[] NONE = new byte[0];
    private static final JsonFactory JSON = new JsonFactory();

    @Override
    public byte[] headerBytes() {
        return NONE;
    }

    @Override
    public byte[] footerBytes() {
        return NONE;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("ts", Instant.ofEpochMilli(event.getTimeStamp()).toString());
            g.writeStringField("level", event.getLevel().toString());
            g.writeStringField("logger", event.getLoggerName());
            g.writeStringField("thread", event.getThreadName());
            g.writeStringField("msg", LogRedaction.text(event.getFormattedMessage()));
            if (event.getKeyValuePairs() != null) {
                for (KeyValuePair kv : event.getKeyValuePairs()) {
                    writeField(g, kv.key, kv.value);
                }
            }
            Map<String, String> mdc = event.getMDCPropertyMap();
            if (mdc != null) {
                for (Map.Entry<String, String> e : mdc.entrySet()) {
                    writeField(g, e.getKey(), e.getValue());
                }
            }
            IThrowableProxy error = event.getThrowableProxy();
            if (error != null) {
                g.writeStringField("error", LogRedaction.text(ThrowableProxyUtil.asString(error)));
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    private static void writeField(JsonGenerator g, String key, Object value) throws IOException {
        String name = FIXED_FIELDS.contains(key) ? "kv_" + key : key;
        if (value == null) {
            g.writeNullField(name);
        } else if (value instanceof Number n) {
            g.writeFieldName(name);
            if (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte) {
                g.writeNumber(n.longValue());
            } else {
                g.writeNumber(n.doubleValue());
            }
        } else if (value instanceof Boolean b) {
            g.writeBooleanField(name, b);
        } else {
            g.writeStringField(name, LogRedaction.text(String.valueOf(value)));
        }
    }
}
