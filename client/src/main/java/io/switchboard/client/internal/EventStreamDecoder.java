package io.switchboard.client.internal;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.BiConsumer;

/**
 * Turns the bytes of an event stream into events, by the WHATWG parsing rules (HTML section 9.2.6): lines end
 * with LF, CRLF or CR; a blank line dispatches the event; {@code event} names it, {@code data} lines are joined
 * with LF; comments (heartbeats) and other fields are skipped. Lines are split on bytes, which is safe in UTF-8.
 * A line longer than {@code maxLineBytes} fails the stream rather than growing without bound.
 *
 * <p>Confined to the channel's event loop.
 */
final class EventStreamDecoder {
    private final int maxLineBytes;
    private byte[] line = new byte[256];
    private int length;
    private boolean afterCr;
    private String event;
    private StringBuilder data;

    EventStreamDecoder(int maxLineBytes) {
        this.maxLineBytes = maxLineBytes;
    }

    /** Feeds {@code bytes} (not released here); each complete event goes to {@code events} as (name, data). */
    void feed(ByteBuf bytes, BiConsumer<String, String> events) {
        while (bytes.isReadable()) {
            byte b = bytes.readByte();
            if (afterCr) {
                afterCr = false;
                if (b == '\n') {
                    continue; // the LF of a CRLF
                }
            }
            if (b == '\n' || b == '\r') {
                afterCr = b == '\r';
                String l = new String(line, 0, length, StandardCharsets.UTF_8);
                length = 0;
                line(l, events);
                continue;
            }
            if (length == maxLineBytes) {
                throw new IllegalStateException("an event line longer than " + maxLineBytes + " bytes");
            }
            if (length == line.length) {
                line = Arrays.copyOf(line, Math.min(maxLineBytes, line.length * 2));
            }
            line[length++] = b;
        }
    }

    private void line(String l, BiConsumer<String, String> events) {
        if (l.isEmpty()) {
            if (data != null) {
                events.accept(event == null ? "message" : event, data.toString());
            }
            event = null;
            data = null;
            return;
        }
        if (l.charAt(0) == ':') {
            return;
        }
        int colon = l.indexOf(':');
        String field = colon < 0 ? l : l.substring(0, colon);
        String value = colon < 0 ? "" : l.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        if (field.equals("event")) {
            event = value;
        } else if (field.equals("data")) {
            if (data == null) {
                data = new StringBuilder(value);
            } else {
                if (data.length() + 1 + value.length() > maxLineBytes) {
                    throw new IllegalStateException("an event larger than " + maxLineBytes + " bytes");
                }
                data.append('\n').append(value);
            }
        }
    }
}
