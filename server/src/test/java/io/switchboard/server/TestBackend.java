package io.switchboard.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Function;

/**
 * A real HTTP backend for webhooks and proxies: the JDK's own server on a loopback port, recording every request
 * and answering what the test tells it (200 with {@code {}} until told otherwise). Public for the tests of the
 * {@code hooks} package. Thread-safe.
 */
public final class TestBackend implements AutoCloseable {

    /** One request as received. */
    public record Request(String method, String path, Map<String, List<String>> headers, byte[] body) {
        public JsonNode json() {
            try {
                return WsClient.JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }
    }

    /** What to answer, after {@code delayMillis}. */
    public record Response(int status, String body, long delayMillis) {
        public static Response ok(String body) {
            return new Response(200, body, 0);
        }

        public static Response status(int status) {
            return new Response(status, "{}", 0);
        }
    }

    /** Every request, recorded as it arrives. */
    public final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    /** The requests answered 2xx, recorded once the answer was written. */
    public final BlockingQueue<Request> accepted = new LinkedBlockingQueue<>();
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private volatile Function<Request, Response> answer = r -> Response.ok("{}");

    private TestBackend(int port) {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** On a free port. */
    public static TestBackend start() {
        return new TestBackend(0);
    }

    /** On {@code port}, e.g. again after {@link #close} to be a backend that came back. */
    public static TestBackend start(int port) {
        return new TestBackend(port);
    }

    /** A port nothing listens on (a backend that is down), as far as this process can tell. */
    public static int deadPort() {
        TestBackend b = start();
        int port = b.port();
        b.close();
        return port;
    }

    /** Every webhook event of the accepted requests, in arrival order, each id once (a retried batch repeats ids). */
    public List<JsonNode> events() {
        Map<String, JsonNode> byId = new LinkedHashMap<>();
        for (Request r : List.copyOf(accepted)) {
            r.json().path("events").forEach(e -> byId.putIfAbsent(e.path("id").asText(), e));
        }
        return new ArrayList<>(byId.values());
    }

    /** The {@link #events} of connection {@code connId}, each as {@code type [room] [(reason)]}. */
    public List<String> typesOf(String connId) {
        return events().stream().filter(e -> e.path("connId").asText().equals(connId))
                .map(e -> e.path("type").asText() + (e.has("room") ? " " + e.path("room").asText() : "")
                        + (e.has("reason") ? " (" + e.path("reason").asText() + ")" : ""))
                .toList();
    }

    public void answer(Function<Request, Response> answer) {
        this.answer = answer;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port() + path;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Request r = new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    Map.copyOf(exchange.getRequestHeaders()), exchange.getRequestBody().readAllBytes());
            requests.add(r);
            Response res = answer.apply(r);
            if (res.delayMillis() > 0) {
                try {
                    Thread.sleep(res.delayMillis()); // a slow backend is what the test is about
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            byte[] body = res.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(res.status(), body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
            if (res.status() / 100 == 2) {
                accepted.add(r);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
