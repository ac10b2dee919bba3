package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A test peer built on the JDK's WebSocket client (a client we did not write). Records every text
 * message as JSON, binary messages as bytes, and the close. With {@code autoRead=false} it stops
 * requesting messages, so the server sees a consumer that does not read.
 */
final class WsClient implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final long TIMEOUT_MS = 5000;

    final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
    final BlockingQueue<byte[]> binaries = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
    /** The reason text of the server's close frame; empty when the connection failed without one. */
    final CompletableFuture<String> closeReason = new CompletableFuture<>();
    private final AtomicBoolean autoRead;
    final WebSocket ws;
    private StringBuilder text = new StringBuilder();
    private ByteBuffer binary = ByteBuffer.allocate(0);

    /** {@code headers} are extra upgrade request headers as name, value pairs. */
    private WsClient(URI uri, boolean autoRead, String... headers) {
        this.autoRead = new AtomicBoolean(autoRead);
        WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        for (int i = 0; i < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        this.ws = builder.buildAsync(uri, new Listener()).join();
    }

    static WsClient connect(int port, String user) {
        return new WsClient(URI.create("ws://127.0.0.1:" + port + "/ws" + (user == null ? "" : "?id=" + user)), true);
    }

    /** Connects with extra upgrade request headers, given as name, value pairs (e.g. a {@code traceparent}). */
    static WsClient connectWithHeaders(int port, String user, String... headers) {
        return connectWithQuery(port, "?id=" + user, headers);
    }

    /** Connects to {@code /ws} plus {@code query} (e.g. {@code "?id=a&token=t"}), with extra upgrade headers. */
    static WsClient connectWithQuery(int port, String query, String... headers) {
        return new WsClient(URI.create("ws://127.0.0.1:" + port + "/ws" + query), true, headers);
    }

    static WsClient connectNotReading(int port, String user) {
        return new WsClient(URI.create("ws://127.0.0.1:" + port + "/ws?id=" + user), false);
    }

    /** Connects and consumes the welcome. */
    static WsClient welcomed(int port, String user) {
        WsClient c = connect(port, user);
        assertThat(c.next().path("type").asText()).isEqualTo("welcome");
        return c;
    }

    private final class Listener implements WebSocket.Listener {
        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    messages.add(JSON.readTree(text.toString()));
                } catch (Exception e) {
                    messages.add(JSON.createObjectNode().put("type", "unparsable").put("raw", text.toString()));
                }
                text = new StringBuilder();
            }
            requestMore(webSocket);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            ByteBuffer joined = ByteBuffer.allocate(binary.remaining() + data.remaining());
            joined.put(binary).put(data).flip();
            binary = joined;
            if (last) {
                byte[] bytes = new byte[binary.remaining()];
                binary.get(bytes);
                binaries.add(bytes);
                binary = ByteBuffer.allocate(0);
            }
            requestMore(webSocket);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closeReason.complete(reason);
            closeCode.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closeReason.complete("");
            closeCode.complete(1006);
        }

        private void requestMore(WebSocket webSocket) {
            if (autoRead.get()) {
                webSocket.request(1);
            }
        }
    }

    /** Starts reading again after {@link #connectNotReading}. */
    void resumeReading() {
        autoRead.set(true);
        ws.request(Long.MAX_VALUE);
    }

    void send(String json) {
        ws.sendText(json, true).join();
    }

    void sendBinary(byte[] bytes) {
        ws.sendBinary(ByteBuffer.wrap(bytes), true).join();
    }

    /** The next message, failing after a timeout. */
    JsonNode next() {
        return next(TIMEOUT_MS);
    }

    /** The next message, failing after {@code timeoutMillis}: for a server known to be busy. */
    JsonNode next(long timeoutMillis) {
        try {
            JsonNode m = messages.poll(timeoutMillis, TimeUnit.MILLISECONDS);
            assertThat(m).as("a message within %d ms", timeoutMillis).isNotNull();
            return m;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** The next message, which must have the given type. */
    JsonNode next(String type) {
        JsonNode m = next();
        assertThat(m.path("type").asText()).as("type of %s", m).isEqualTo(type);
        return m;
    }

    /** Skips messages until one of the given type arrives. */
    JsonNode nextOfType(String type) {
        while (true) {
            JsonNode m = next();
            if (m.path("type").asText().equals(type)) {
                return m;
            }
        }
    }

    /** Asserts nothing arrives for a short while. */
    void assertNoMessage(long millis) {
        try {
            JsonNode m = messages.poll(millis, TimeUnit.MILLISECONDS);
            assertThat(m).as("no further message").isNull();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    byte[] nextBinary() {
        try {
            byte[] b = binaries.poll(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            assertThat(b).as("a binary message within %d ms", TIMEOUT_MS).isNotNull();
            return b;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    int awaitClose() {
        try {
            return closeCode.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("no close within 10 s", e);
        }
    }

    List<JsonNode> drain() {
        List<JsonNode> out = new ArrayList<>();
        messages.drainTo(out);
        return out;
    }

    @Override
    public void close() {
        if (!ws.isOutputClosed()) {
            try {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(2, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // the server may already be gone
            }
        }
        ws.abort();
    }
}
