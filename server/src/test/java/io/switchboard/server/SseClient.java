package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A Server-Sent Events client over a plain socket, written to the WHATWG parsing rules (section 9.2.6) and
 * HTTP/1.1 chunked transfer coding: what the tests see is exactly what the server wrote, with no library's
 * reconnect or buffering in between. Not thread-safe: one test thread reads it.
 */
final class SseClient implements AutoCloseable {
    /** One dispatched event; comments are counted, not returned. */
    record Event(String id, String event, String data) {
        JsonNode json() {
            try {
                return WsClient.JSON.readTree(data);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + data, e);
            }
        }
    }

    private final Socket socket;
    private final InputStream in;
    final int status;
    final Map<String, String> headers = new LinkedHashMap<>();
    /** The body of a response that is not a stream. */
    String body = "";
    /** Comment lines seen (heartbeats). */
    int comments;
    /** The last {@code id} field seen: what a browser would send as {@code Last-Event-ID}. */
    String lastEventId;
    private int chunkLeft;
    private boolean ended;

    private SseClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        String statusLine = line(in);
        status = Integer.parseInt(statusLine.split(" ")[1]);
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            int colon = h.indexOf(':');
            headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
        }
        if (headers.containsKey("content-length")) {
            body = new String(in.readNBytes(Integer.parseInt(headers.get("content-length"))), StandardCharsets.UTF_8);
            ended = true;
        }
    }

    /** Opens {@code GET pathAndQuery} with the given extra headers ({@code Last-Event-ID}, {@code Origin}...). */
    static SseClient open(int port, String pathAndQuery, Map<String, String> extra) {
        return open(port, pathAndQuery, extra, 0);
    }

    /** As {@link #open(int, String, Map)} with a socket receive buffer of {@code receiveBufferBytes} (0: default). */
    static SseClient open(int port, String pathAndQuery, Map<String, String> extra, int receiveBufferBytes) {
        try {
            Socket s = new Socket();
            if (receiveBufferBytes > 0) {
                s.setReceiveBufferSize(receiveBufferBytes);
            }
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(5000);
            StringBuilder req = new StringBuilder("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nAccept: text/event-stream\r\n");
            extra.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
            OutputStream out = s.getOutputStream();
            out.write(req.append("\r\n").toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            return new SseClient(s);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The next event, failing when none comes within 5 s or the stream ends. */
    Event next() {
        Event e = nextOrEnd();
        assertThat(e).as("an event (stream ended)").isNotNull();
        return e;
    }

    /** The next event of type {@code event}, which must be the next event. */
    Event next(String event) {
        Event e = next();
        assertThat(e.event()).as("event %s with data %s", e.event(), e.data()).isEqualTo(event);
        return e;
    }

    /** Skips events until one of type {@code event} comes. */
    Event nextOfType(String event) {
        for (Event e = next(); ; e = next()) {
            if (e.event().equals(event)) {
                return e;
            }
        }
    }

    /** The next event, or null once the stream ended. */
    Event nextOrEnd() {
        try {
            String id = null;
            String event = null;
            StringBuilder data = null;
            while (true) {
                String l = bodyLine();
                if (l == null) {
                    return null;
                }
                if (l.isEmpty()) {
                    if (data != null) {
                        if (id != null) {
                            lastEventId = id;
                        }
                        return new Event(id, event == null ? "message" : event, data.toString());
                    }
                    continue;
                }
                if (l.startsWith(":")) {
                    comments++;
                    continue;
                }
                int colon = l.indexOf(':');
                String field = colon < 0 ? l : l.substring(0, colon);
                String value = colon < 0 ? "" : l.substring(colon + 1).startsWith(" ") ? l.substring(colon + 2)
                        : l.substring(colon + 1);
                switch (field) {
                    case "id" -> id = value;
                    case "event" -> event = value;
                    case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                    default -> { } // retry and unknown fields
                }
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no event within 5 s", e);
        } catch (IOException e) {
            return null;
        }
    }

    /** Reads whatever comes for {@code millis} (heartbeat comments are counted), dropping events. */
    void readFor(long millis) {
        try {
            socket.setSoTimeout((int) millis);
            long deadline = System.currentTimeMillis() + millis;
            for (String l = bodyLine(); l != null && System.currentTimeMillis() < deadline; l = bodyLine()) {
                if (l.startsWith(":")) {
                    comments++;
                }
            }
        } catch (IOException timeoutOrEnd) {
            // read what there was
        } finally {
            try {
                socket.setSoTimeout(5000);
            } catch (IOException ignored) {
                // closed
            }
        }
    }

    /** Reads until the stream ends (EOF or the last chunk), failing after {@code millis}. */
    boolean endsWithin(long millis) {
        long deadline = System.currentTimeMillis() + millis;
        try {
            socket.setSoTimeout((int) millis);
            while (System.currentTimeMillis() < deadline) {
                if (bodyLine() == null) {
                    return true;
                }
            }
            return false;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** One line of the de-chunked body, or null at its end. */
    private String bodyLine() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            int c = bodyByte();
            if (c < 0) {
                return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
            }
            if (c == '\n') {
                return b.toString(StandardCharsets.UTF_8);
            }
            b.write(c);
        }
    }

    private int bodyByte() throws IOException {
        if (ended) {
            return -1;
        }
        if (chunkLeft == 0) {
            String size = line(in);
            if (size == null) {
                ended = true;
                return -1;
            }
            if (size.isEmpty()) {
                size = line(in); // the CRLF after the previous chunk
            }
            if (size == null) {
                ended = true;
                return -1;
            }
            chunkLeft = Integer.parseInt(size.trim(), 16);
            if (chunkLeft == 0) {
                ended = true;
                return -1;
            }
        }
        int c = in.read();
        if (c < 0) {
            ended = true;
            return -1;
        }
        chunkLeft--;
        return c;
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                return b.size() == 0 ? null : b.toString(StandardCharsets.US_ASCII);
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
