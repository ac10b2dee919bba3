package io.switchboard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.switchboard.core.config.Security;
import io.switchboard.server.SwitchboardServer;
import io.switchboard.server.config.Proxy;
import io.switchboard.server.config.Server;
import io.switchboard.server.config.SwitchboardConfig;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Room-message throughput and ack latency with the publish proxy off and on: one client publishes with at most
 * {@code window} messages unacknowledged to a room with one other member, for {@code seconds} after a warm-up,
 * against a local backend (the JDK's HTTP server answering {@code {}}). Prints messages per second, p50 and p99
 * of the ack latency, and the on/off ratios.
 *
 * <p>{@code java -cp bench/target/benchmarks.jar io.switchboard.bench.ProxyOverheadRun [seconds] [window]}
 */
public final class ProxyOverheadRun {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_SAMPLES = 4_000_000;

    private ProxyOverheadRun() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int window = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        // Without it the JDK server writes its headers and body in two segments and Nagle's algorithm holds the
        // second until the client's delayed ACK (40 ms): the run would measure that, not the proxy.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        ExecutorService backendThreads = Executors.newFixedThreadPool(4);
        backend.createContext("/publish", exchange -> {
            exchange.getRequestBody().readAllBytes();
            byte[] ok = "{}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, ok.length);
            exchange.getResponseBody().write(ok);
            exchange.close();
        });
        backend.setExecutor(backendThreads);
        backend.start();
        try {
            double[] off = run(null, seconds, window);
            double[] on = run("http://127.0.0.1:" + backend.getAddress().getPort() + "/publish", seconds, window);
            System.out.printf(Locale.ROOT, "ratio on/off: throughput %.2f, p50 %.2f, p99 %.2f%n", on[0] / off[0],
                    on[1] / off[1], on[2] / off[2]);
        } finally {
            backend.stop(0);
            backendThreads.shutdownNow();
        }
    }

    /** Returns messages per second, p50 and p99 in milliseconds. */
    private static double[] run(String proxyUrl, int seconds, int window) throws Exception {
        SwitchboardConfig config = SwitchboardConfig.builder()
                .server(Server.builder().host("127.0.0.1").port(0).nodeId("bench").build())
                .security(Security.builder().rateLimitRps(1_000_000).rateLimitBurst(1_000_000)
                        .maxConnectionsPerIp(0).maxConnectionsPerUser(0).maxHandshakesPerIpPerSecond(0).build())
                .proxy(proxyUrl == null ? Proxy.defaults()
                        : Proxy.builder().publish(proxyUrl).maxPending(window * 2).build())
                .build();
        try (SwitchboardServer server = SwitchboardServer.start(config)) {
            HttpClient http = HttpClient.newHttpClient();
            URI uri = URI.create("ws://127.0.0.1:" + server.port() + "/ws?id=");
            Semaphore inFlight = new Semaphore(window);
            long[] sentAt = new long[MAX_SAMPLES];
            long[] latencyMicros = new long[MAX_SAMPLES];
            AtomicInteger measured = new AtomicInteger();
            long[] measureFrom = {Long.MAX_VALUE};
            AtomicInteger joined = new AtomicInteger();
            WebSocket.Listener sender = new Listener(m -> {
                String type = m.path("type").asText();
                if (type.equals("room_joined")) {
                    joined.incrementAndGet();
                } else if (type.equals("ack") || type.equals("error")) {
                    int id = m.path("id").asInt();
                    long now = System.nanoTime();
                    if (sentAt[id] >= measureFrom[0]) {
                        latencyMicros[measured.getAndIncrement()] = (now - sentAt[id]) / 1000;
                    }
                    inFlight.release();
                }
            });
            WebSocket receiver = http.newWebSocketBuilder().buildAsync(URI.create(uri + "receiver"),
                    new Listener(m -> {
                        if (m.path("type").asText().equals("room_joined")) {
                            joined.incrementAndGet();
                        }
                    })).join();
            WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(uri + "sender"), sender).join();
            receiver.sendText("{\"type\":\"join_room\",\"room\":\"r\"}", true).join();
            ws.sendText("{\"type\":\"join_room\",\"room\":\"r\"}", true).join();
            while (joined.get() < 2) {
                Thread.sleep(10);
            }
            long start = System.nanoTime();
            long warmEnd = start + TimeUnit.SECONDS.toNanos(3);
            long end = warmEnd + TimeUnit.SECONDS.toNanos(seconds);
            measureFrom[0] = warmEnd;
            int id = 1;
            int sentMeasured = 0;
            while (System.nanoTime() < end && id < MAX_SAMPLES - 1) {
                if (!inFlight.tryAcquire(1, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("no ack within a second");
                }
                sentAt[id] = System.nanoTime();
                if (sentAt[id] >= warmEnd) {
                    sentMeasured++;
                }
                ws.sendText("{\"type\":\"room_message\",\"id\":" + id + ",\"room\":\"r\",\"content\":\"x\"}", true)
                        .join();
                id++;
            }
            inFlight.acquire(window); // the last acks
            int n = measured.get();
            long[] sorted = Arrays.copyOf(latencyMicros, n);
            Arrays.sort(sorted);
            double rate = sentMeasured / (double) seconds;
            double p50 = sorted[n / 2] / 1000.0;
            double p99 = sorted[(int) (n * 0.99)] / 1000.0;
            System.out.printf(Locale.ROOT, "publish proxy %s: %.0f msg/s, ack p50 %.2f ms, p99 %.2f ms (%d acks)%n",
                    proxyUrl == null ? "off" : "on ", rate, p50, p99, n);
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
            receiver.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
            return new double[] {rate, p50, p99};
        }
    }

    /** Parses each text message and hands it on. */
    private static final class Listener implements WebSocket.Listener {
        private final java.util.function.Consumer<JsonNode> onMessage;
        private final StringBuilder text = new StringBuilder();

        Listener(java.util.function.Consumer<JsonNode> onMessage) {
            this.onMessage = onMessage;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    onMessage.accept(JSON.readTree(text.toString()));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                text.setLength(0);
            }
            webSocket.request(1);
            return null;
        }
    }
}
