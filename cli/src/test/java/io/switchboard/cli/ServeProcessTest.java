package io.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.RawPeer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code switchboard serve} as an operator runs it: a separate process, signals, exit codes. */
class ServeProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final List<Process> processes = new ArrayList<>();
    /** Output goes to a file: {@code Process.destroy()} (SIGTERM) closes the pipes. */
    private final java.util.Map<Process, Path> logs = new java.util.HashMap<>();

    @AfterEach
    void killLeftovers() {
        processes.forEach(Process::destroyForcibly);
    }

    private Process serve(String... args) throws IOException {
        return serve(List.of(), args);
    }

    private Process serve(List<String> jvmOptions, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.switchboard.cli.Main", "serve"));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile("serve", ".log");
        log.toFile().deleteOnExit();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(p);
        logs.put(p, log);
        return p;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private String output(Process p) throws Exception {
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("process ended").isTrue();
        return Files.readString(logs.get(p), StandardCharsets.UTF_8);
    }

    private static void awaitReady(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/ready")).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(50);
        }
        throw new AssertionError("server not ready on port " + port);
    }

    /** Records text messages and the close code. */
    private static final class Recorder implements WebSocket.Listener {
        final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            try {
                messages.add(JSON.readTree(data.toString()));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }
    }

    @Test
    void sigtermDrainsEveryClientWith1012AndExitsZero() throws Exception {
        int port = freePort();
        Process p = serve("--port", String.valueOf(port), "--host", "127.0.0.1", "--set", "shutdown.drainTimeout=1s");
        awaitReady(port);
        List<Recorder> clients = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Recorder r = new Recorder();
            HTTP.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws?id=u" + i), r).join();
            assertThat(r.messages.poll(5, TimeUnit.SECONDS).path("type").asText()).isEqualTo("welcome");
            clients.add(r);
        }

        p.destroy(); // SIGTERM

        for (Recorder r : clients) {
            JsonNode notice = r.messages.poll(10, TimeUnit.SECONDS);
            assertThat(notice).isNotNull();
            assertThat(notice.path("type").asText()).isEqualTo("server_shutdown");
            assertThat(notice.path("content").asText()).isEqualTo("Server is shutting down");
            assertThat(notice.path("reconnectAfterMs").asLong()).isPositive();
            assertThat(r.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1012);
        }
        String out = output(p);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("draining 5 connections").contains("Switchboard stopped");
    }

    /**
     * An impatient operator sends a second SIGTERM during a long drain. That may end the drain early, but
     * every client must still get {@code server_shutdown} and close 1012 (not a bare 1001 cut, which
     * leaves clients without the hint to reconnect elsewhere).
     */
    @Test
    void aSecondSigtermHastensTheDrainButEveryClientStillGetsTheNotice() throws Exception {
        int port = freePort();
        Process p = serve("--port", String.valueOf(port), "--host", "127.0.0.1", "--set", "shutdown.drainTimeout=20s");
        awaitReady(port);
        List<Recorder> clients = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Recorder r = new Recorder();
            HTTP.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws?id=u" + i), r).join();
            assertThat(r.messages.poll(5, TimeUnit.SECONDS).path("type").asText()).isEqualTo("welcome");
            clients.add(r);
        }

        p.destroy(); // SIGTERM: the drain starts, one notice every 20 s / 6, the first at once
        Await.until("the first shutdown notice", Duration.ofSeconds(10),
                () -> clients.stream().anyMatch(r -> !r.messages.isEmpty()));
        assertThat(clients.stream().filter(r -> !r.messages.isEmpty()).count())
                .as("the drain has begun and most clients' turns are still ahead").isBetween(1L, 2L);
        p.destroy(); // the second SIGTERM, while most clients are still waiting for their turn

        for (Recorder r : clients) {
            int code = r.closed.get(30, TimeUnit.SECONDS);
            List<String> types = new ArrayList<>();
            r.messages.forEach(m -> types.add(m.path("type").asText()));
            assertThat(types).as("messages before close %d", code).contains("server_shutdown");
            assertThat(code).isEqualTo(1012);
        }
        String out = output(p);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("Switchboard stopped");
    }

    /**
     * Subscribers that stop reading may each queue up to {@code websocket.maxQueuedBytes}, and together
     * those caps (24 x 8 MiB here) far exceed the process's direct memory (64 MiB). The server must close
     * the backed-up subscribers as slow consumers before its direct memory runs out, not fail allocations
     * on the event loop (which lost deliveries and logged OutOfMemoryError), and keep serving.
     */
    @Test
    void backedUpSubscribersAreClosedBeforeDirectMemoryRunsOut() throws Exception {
        int port = freePort();
        int subscribers = 24;
        Process p = serve(List.of("-XX:MaxDirectMemorySize=64m"), "--port", String.valueOf(port), "--host", "127.0.0.1",
                "--set", "server.ioThreads=1", "--set", "websocket.maxQueuedBytes=8388608",
                "--set", "websocket.writeBufferBytes=65536",
                "--set", "security.rateLimitRps=1000000", "--set", "security.rateLimitBurst=1000000",
                "--set", "security.maxConnectionsPerIp=0", "--set", "security.maxHandshakesPerIpPerSecond=0");
        awaitReady(port);
        List<RawPeer> readers = new ArrayList<>();
        try {
            for (int i = 0; i < subscribers; i++) {
                RawPeer s = upgraded(port, "stuck" + i, 16 * 1024);
                s.sendText("{\"type\":\"join_room\",\"room\":\"flood\"}");
                readers.add(s); // never reads again
            }
            Thread.sleep(500); // joins processed
            try (RawPeer publisher = upgraded(port, "publisher", 64 * 1024)) {
                publisher.sendText("{\"type\":\"join_room\",\"room\":\"flood\"}");
                String message = "{\"type\":\"room_message\",\"room\":\"flood\",\"content\":\"" + "x".repeat(850) + "\"}";
                byte[] frame = RawPeer.frame(true, 0, RawPeer.TEXT, message.getBytes(StandardCharsets.UTF_8));
                // Frames under 1 KiB are copied into each subscriber's queue (larger ones are shared): 17 MB each.
                // A publisher whose own replies back up is a slow consumer too: a failed write ends the loop.
                for (int i = 0; i < 20_000 && publisher.tryWrite(frame); i++) {
                    // keep publishing
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            long closed = 0;
            while (System.nanoTime() < deadline && closed < subscribers) {
                closed = slowConsumerCloses(port);
                Thread.sleep(200);
            }
            String log = Files.readString(logs.get(p), StandardCharsets.UTF_8);
            assertThat(closed).as("subscribers closed as slow consumers; server log ends %s",
                    log.substring(Math.max(0, log.length() - 3000))).isGreaterThanOrEqualTo(subscribers);
            HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
            Recorder fresh = new Recorder();
            HTTP.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws?id=after"), fresh).join();
            assertThat(fresh.messages.poll(5, TimeUnit.SECONDS).path("type").asText()).isEqualTo("welcome");
        } finally {
            for (RawPeer s : readers) {
                s.close();
            }
        }
        p.destroy();
        String out = output(p);
        assertThat(out).doesNotContain("OutOfMemoryError").doesNotContain("OutOfDirectMemoryError")
                .doesNotContain("A task raised an exception");
    }

    /**
     * A WebSocket client on a plain socket with a small receive buffer, so that a client that stops
     * reading backs the server up after a few kilobytes instead of after the kernel's megabytes.
     */
    private static RawPeer upgraded(int port, String user, int receiveBufferBytes) {
        return RawPeer.open("127.0.0.1", port, receiveBufferBytes).upgraded(port, "/ws?id=" + user, Map.of());
    }

    private static long slowConsumerCloses(int port) throws Exception {
        String metrics = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "websocket_connection_duration_seconds_count\\{disconnect_reason=\"slow_consumer\"} ([0-9.]+)").matcher(metrics);
        return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void startupLogSaysWhereItListensAndWhichTransport() throws Exception {
        int port = freePort();
        Process p = serve("--port", String.valueOf(port), "--host", "127.0.0.1");
        awaitReady(port);
        p.destroy();
        String out = output(p);
        assertThat(out).containsPattern("listening on 127\\.0\\.0\\.1:" + port + " \\(transport (epoll|nio), ");
        String at = "http://127.0.0.1:" + port;
        assertThat(out).contains("demo " + at + "/ | WebSocket ws://127.0.0.1:" + port + "/ws | health " + at
                + "/health | metrics " + at + "/metrics | API off (set api.keys to publish over HTTP)");
        assertThat(out).contains("config: built-in defaults (choose a file with --config");
        assertThat(out).as("the security summary is for DEBUG").doesNotContain("security: tls=");
        assertThat(p.exitValue()).isZero();
    }

    @Test
    void startupLogSaysWhereTheApiIsWhenKeysAreSet() throws Exception {
        int port = freePort();
        Process p = serve("--port", String.valueOf(port), "--host", "127.0.0.1",
                "--set", "api.keys=a-key-of-sixteen-chars-or-more");
        awaitReady(port);
        p.destroy();
        String out = output(p);
        assertThat(out).contains("| API on at http://127.0.0.1:" + port + "/api (1 key)");
        assertThat(out).doesNotContain("a-key-of-sixteen-chars-or-more");
    }

    @Test
    void aPortInUseIsReportedInOneLineWithExitCode1() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Process p = serve("--port", String.valueOf(taken.getLocalPort()), "--host", "127.0.0.1");
            String out = output(p);
            assertThat(p.exitValue()).isEqualTo(1);
            assertThat(out).contains("switchboard: port " + taken.getLocalPort() + " is already in use")
                    .doesNotContain("Exception").doesNotContain("\tat ");
        }
    }

    @Test
    void anInvalidConfigurationNamesKeyValueAndRuleWithExitCode2() throws Exception {
        Process p = serve("--set", "websocket.pingInterval=70s");
        String out = output(p);
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(out.strip()).isEqualTo(
                "switchboard: websocket.pingInterval (70s) must be shorter than websocket.pongTimeout (60s)");
    }

    @Test
    void anUnreadableConfigFileIsReportedWithoutAStackTrace(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("nope.yaml");
        Process p = serve("--config", missing.toString());
        String out = output(p);
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(out).startsWith("switchboard: cannot read config file " + missing).doesNotContain("\tat ");
        Path bad = Files.writeString(dir.resolve("bad.yaml"), "server: [unclosed");
        Process q = serve("--config", bad.toString());
        String out2 = output(q);
        assertThat(q.exitValue()).isEqualTo(2);
        assertThat(out2).startsWith("switchboard: cannot read config file " + bad).doesNotContain("\tat ");
    }

    @Test
    void helpExplainsEveryFlag() throws Exception {
        java.io.StringWriter sw = new java.io.StringWriter();
        picocli.CommandLine cl = new picocli.CommandLine(new Main());
        cl.setOut(new java.io.PrintWriter(sw));
        assertThat(cl.execute("serve", "--help")).isZero();
        assertThat(sw.toString()).contains("--host=ADDRESS", "--port=PORT", "--config=FILE", "--set=KEY=VALUE",
                "docs/configuration.md", "Exit codes");
    }
}
