package io.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.cli.bench.BenchOptions;
import io.switchboard.cli.bench.BenchResult;
import io.switchboard.cli.bench.Scenarios;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.server.SwitchboardServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code switchboard bench} for a few seconds against the real server: sane, parseable numbers. */
class BenchCommandTest {
    private static SwitchboardServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String url() {
        return "ws://127.0.0.1:" + server.port() + "/ws";
    }

    /** Runs the command line in this JVM; returns exit code and stdout. */
    private static Result run(String... args) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run(args);
        } finally {
            System.setOut(original);
        }
        return new Result(code, captured.toString(StandardCharsets.UTF_8));
    }

    /** Runs the command line and expects exit code 2 with {@code message} on stderr. */
    private static void assertUsageError(String message, String... args) throws Exception {
        PrintStream originalErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        Result result;
        try {
            result = run(args);
        } finally {
            System.setErr(originalErr);
        }
        assertThat(result.code()).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains(message);
    }

    record Result(int code, String out) {
        JsonNode json() throws Exception {
            return new JsonCodec().mapper().readTree(out);
        }
    }

    private static void assertSane(JsonNode r, String scenario) {
        assertThat(r.path("scenario").asText()).isEqualTo(scenario);
        assertThat(r.path("errors").asLong()).isZero();
        assertThat(r.path("sent").asLong()).isPositive();
        // Delivered equals expected, within 1% for the tail still in flight when the drain window closed.
        assertThat((double) r.path("delivered").asLong()).isCloseTo(r.path("expected").asLong(),
                org.assertj.core.data.Percentage.withPercentage(1));
        JsonNode l = r.path("latencyMicros");
        for (String p : new String[] {"p50", "p90", "p99", "p999", "max"}) {
            assertThat(l.path(p).asDouble()).as(p).isPositive();
        }
        assertThat(l.path("p50").asDouble()).isLessThanOrEqualTo(l.path("p99").asDouble());
        assertThat(r.path("deliveredPerSecond").asDouble()).isPositive();
    }

    @Test
    void echoDeliversEveryMessageAtTheFixedRate() throws Exception {
        Result result = run("bench", "echo", "--url", url(), "--connections", "4", "--rate", "400", "--size", "200",
                "--warmup", "1s", "--duration", "3s", "--json", "--no-progress");
        assertThat(result.code()).isZero();
        JsonNode r = result.json();
        assertSane(r, "echo");
        assertThat(r.path("sent").asLong()).isBetween(1150L, 1201L); // 400/s for 3 s, fixed rate; warmup not counted
        assertThat(r.path("warmupSeconds").asDouble()).isEqualTo(1.0);
        assertThat(r.path("expected").asLong()).isEqualTo(r.path("sent").asLong());
        // The pacer's own lateness, reported apart from the latency it is part of.
        JsonNode lag = r.path("sendLagMicros");
        assertThat(lag.path("max").asDouble()).as("a sent message was late by something").isPositive();
        assertThat(lag.path("p99").asDouble()).isBetween(lag.path("p50").asDouble(), lag.path("max").asDouble());
        assertThat(lag.path("max").asDouble()).isLessThanOrEqualTo(r.path("latencyMicros").path("max").asDouble());
    }

    @Test
    void closedLoopEchoKeepsOneMessageInFlightPerConnection() throws Exception {
        Result result = run("bench", "echo", "--url", url(), "--connections", "3", "--rate", "0", "--warmup", "500ms",
                "--duration", "2s", "--json", "--no-progress");
        assertThat(result.code()).isZero();
        JsonNode r = result.json();
        assertSane(r, "echo");
        assertThat(r.path("loop").asText()).isEqualTo("closed");
        // One in flight each: every measured echo came back, and the replies in the window paced the sends.
        assertThat(r.path("delivered").asLong()).isEqualTo(r.path("expected").asLong()).isEqualTo(r.path("sent").asLong());
        assertThat(r.path("receivedPerSecond").asDouble() * 2).isCloseTo(r.path("delivered").asLong(),
                org.assertj.core.data.Percentage.withPercentage(10));
    }

    /** The floor of the echo benchmarks: the same closed loop against a plain TCP echo server. */
    @Test
    void closedLoopEchoOverRawTcpMeasuresAnEchoServer() throws Exception {
        try (java.net.ServerSocket echo = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                try (java.net.Socket s = echo.accept()) {
                    s.setTcpNoDelay(true);
                    s.getInputStream().transferTo(s.getOutputStream());
                } catch (java.io.IOException e) {
                    // the bench closed the connection
                }
            }, "tcp-echo");
            server.setDaemon(true);
            server.start();
            Result result = run("bench", "echo", "--url", "tcp://127.0.0.1:" + echo.getLocalPort(), "--connections", "1",
                    "--rate", "0", "--size", "100", "--duration", "1s", "--json", "--no-progress");
            assertThat(result.code()).isZero();
            JsonNode r = result.json();
            assertSane(r, "echo");
            assertThat(r.path("delivered").asLong()).isEqualTo(r.path("sent").asLong());
        }
    }

    @Test
    void refusesRawTcpAndClientReceiversWhereTheyCannotWork() throws Exception {
        assertUsageError("--url must be ws://HOST[:PORT]/PATH or wss://..., got tcp://127.0.0.1:9",
                "bench", "fanout", "--url", "tcp://127.0.0.1:9", "--duration", "1s");
        assertUsageError("a closed-loop echo (--rate 0) runs on lean connections only",
                "bench", "echo", "--url", url(), "--rate", "0", "--receiver", "client", "--duration", "1s");
        assertUsageError("--rate must be at least 1, got 0",
                "bench", "fanout", "--url", url(), "--rate", "0", "--duration", "1s");
    }

    @Test
    void localAddressesSpreadConnectionsOverSeveralLoopbackSources() throws Exception {
        Result result = run("bench", "echo", "--url", url(), "--connections", "4", "--rate", "100",
                "--local-addresses", "127.0.0.2,127.0.0.3", "--duration", "1s", "--json", "--no-progress");
        assertThat(result.code()).isZero();
        assertSane(result.json(), "echo");
    }

    @ParameterizedTest
    @ValueSource(strings = {"lean", "client", "sse"})
    void fanoutExpectsEveryPublishTimesTheSubscribersOfItsRoom(String receiver) throws Exception {
        Result result = run("bench", "fanout", "--url", url(), "--connections", "6", "--rooms", "2",
                "--publishers", "2", "--rate", "200", "--duration", "3s", "--receiver", receiver, "--json", "--no-progress");
        assertThat(result.code()).isZero();
        JsonNode r = result.json();
        assertSane(r, "fanout");
        assertThat(r.path("receiver").asText()).isEqualTo(receiver);
        assertThat(r.path("subscribers").asInt()).isEqualTo(6);
        assertThat(r.path("expected").asLong()).isEqualTo(3 * r.path("sent").asLong());
        assertThat(r.path("measuredToEpochMillis").asLong() - r.path("measuredFromEpochMillis").asLong())
                .isBetween(3000L, 3000L + 5000L);
    }

    /** lean-deflate subscribers negotiate compression and inflate what arrives compressed: every message counted. */
    @Test
    void aDeflateReceiverCountsEveryCompressedMessage() throws Exception {
        try (SwitchboardServer compressing = TestServer.startCompressing()) {
            Result result = run("bench", "fanout", "--url", "ws://127.0.0.1:" + compressing.port() + "/ws",
                    "--connections", "4", "--rate", "50", "--size", "400", "--duration", "2s", "--receiver",
                    "lean-deflate", "--json", "--no-progress");
            assertThat(result.code()).isZero();
            JsonNode r = result.json();
            assertThat(r.path("receiver").asText()).isEqualTo("lean-deflate");
            assertThat(r.path("errors").asLong()).isZero();
            assertThat(r.path("delivered").asLong()).isEqualTo(r.path("expected").asLong()).isPositive();
        }
    }

    /**
     * Frames of every length encoding the lean receiver parses: 7-bit, 16-bit (over 125 bytes) and
     * 64-bit (a 65,500-byte publish comes back as a room message over 65,535 bytes), and fan-out frames both copied into the server's cork buffer and written as
     * shared duplicates (over 1 KiB).
     */
    @ParameterizedTest
    @ValueSource(ints = {60, 3000, 65_500})
    void leanReceiverReadsEveryFrameLength(int size) throws Exception {
        // 10/s: 65 KB frames at a higher rate can overrun a subscriber's 1 MB queue under paranoid leak detection.
        Result result = run("bench", "fanout", "--url", url(), "--connections", "3", "--rate", "10", "--size",
                String.valueOf(size), "--duration", "1s", "--json", "--no-progress");
        assertThat(result.code()).isZero();
        assertSane(result.json(), "fanout");
        assertThat(result.json().path("delivered").asLong()).isEqualTo(3 * result.json().path("sent").asLong());
    }

    @Test
    void leanSubscribersAnswerPingsSoTheHeartbeatKeepsThem() throws Exception {
        SwitchboardServer beating = TestServer.startWithHeartbeat(Duration.ofMillis(200), Duration.ofMillis(700));
        try {
            Result result = run("bench", "fanout", "--url", "ws://127.0.0.1:" + beating.port() + "/ws",
                    "--connections", "4", "--rate", "20", "--duration", "3s", "--json", "--no-progress");
            assertThat(result.code()).isZero();
            // A subscriber that left pings unanswered would be closed after 0.7 s: an error and lost deliveries.
            assertSane(result.json(), "fanout");
            assertThat(result.json().path("delivered").asLong()).isEqualTo(4 * result.json().path("sent").asLong());
        } finally {
            beating.close();
        }
    }

    @Test
    void fanoutIntoANamedRoomPublishesThere() throws Exception {
        Result result = run("bench", "fanout", "--url", url(), "--room", "ticker:bench-named", "--connections", "5",
                "--rate", "50", "--duration", "1s", "--json", "--no-progress");
        assertThat(result.code()).isZero();
        assertSane(result.json(), "fanout");
        assertThat(server.hub().history("ticker:bench-named", null, 10).toCompletableFuture().join().messages())
                .as("the room the bench was told").isNotEmpty();
        assertUsageError("--room names the one room of a fanout or join run (--rooms 1)",
                "bench", "fanout", "--url", url(), "--room", "ticker:x", "--rooms", "2", "--duration", "1s");
        assertUsageError("--room must match [A-Za-z0-9_.:@/-]{1,128}, got 'a room'",
                "bench", "fanout", "--url", url(), "--room", "a room", "--duration", "1s");
    }

    /**
     * A subscribe-only run ({@code --publishers 0}) counts what another run publishes into the room, over the
     * publisher's own window: every measured publish reaches each of its subscribers, and nothing else counts.
     */
    @Test
    void aSubscribeOnlyRunCountsWhatAnotherRunPublishes() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        BenchOptions listening = new BenchOptions("fanout", java.net.URI.create(url()), 4, 1, 0, 1000, 100,
                Duration.ofSeconds(2), Duration.ofMillis(500), java.util.List.of(), false, null, "lean", "bench-listen", 256);
        java.util.concurrent.CompletableFuture<BenchResult> listener = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return Scenarios.run(listening, errStream);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        long waitUntil = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!err.toString(StandardCharsets.UTF_8).contains("4 subscribers joined bench-listen") && System.nanoTime() < waitUntil) {
            Thread.sleep(10);
        }
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("4 subscribers joined bench-listen");
        Result published = run("bench", "fanout", "--url", url(), "--room", "bench-listen", "--connections", "2",
                "--rate", "200", "--warmup", "500ms", "--duration", "2s", "--json", "--no-progress");
        assertThat(published.code()).isZero();
        assertSane(published.json(), "fanout");
        java.util.Map<String, Object> r = listener.get(20, java.util.concurrent.TimeUnit.SECONDS).fields();
        assertThat(r.get("errors")).isEqualTo(0L);
        assertThat(r.get("sent")).isEqualTo(0L);
        assertThat(r.get("subscribers")).isEqualTo(4);
        assertThat(r.get("delivered")).isEqualTo(4 * published.json().path("sent").asLong());
        @SuppressWarnings("unchecked")
        java.util.Map<String, Object> latency = (java.util.Map<String, Object>) r.get("latencyMicros");
        assertThat((Double) latency.get("p50")).isPositive();
        assertUsageError("--publishers must be at least 1, got 0",
                "bench", "echo", "--url", url(), "--publishers", "0", "--duration", "1s");
        assertUsageError("--publishers 0 (subscribe only) takes one room (--rooms 1)",
                "bench", "fanout", "--url", url(), "--publishers", "0", "--rooms", "2", "--duration", "1s");
    }

    @Test
    void refusesAnUnknownReceiver() throws Exception {
        assertUsageError("--receiver must be lean, client, sse or lean-deflate, got 'fast'",
                "bench", "fanout", "--url", url(), "--receiver", "fast", "--duration", "1s");
        assertUsageError("--receiver lean-deflate runs fanout subscribers only",
                "bench", "echo", "--url", url(), "--receiver", "lean-deflate", "--duration", "1s");
    }

    @Test
    void idleHoldsTheConnectionsAndReportsServerMemory() throws Exception {
        Result result = run("bench", "idle", "--url", url(), "--connections", "50", "--duration", "2s", "--json",
                "--no-progress");
        assertThat(result.code()).isZero();
        JsonNode r = result.json();
        assertThat(r.path("delivered").asLong()).isEqualTo(50);
        assertThat(r.path("errors").asLong()).isZero();
        assertThat(r.path("latencyMicros").path("p50").asDouble()).isPositive();
        assertThat(r.path("server").path("during").path("heapUsedBytes").asLong()).isPositive();
        assertThat(r.path("server").path("during").path("connections").asLong()).isGreaterThanOrEqualTo(50);
    }

    @Test
    void churnCompletesConnectJoinCloseCycles() throws Exception {
        Result result = run("bench", "churn", "--url", url(), "--connections", "4", "--rate", "20", "--duration", "2s",
                "--json", "--no-progress");
        assertThat(result.code()).isZero();
        JsonNode r = result.json();
        assertSane(r, "churn");
        assertThat(r.path("sent").asLong()).isBetween(35L, 41L);
    }

    @Test
    void joinCountsEveryMemberAndEveryByteTheMembersReceive() throws Exception {
        int members = 60;
        Result result = run("bench", "join", "--url", url(), "--connections", String.valueOf(members), "--room",
                "bench-join-test", "--in-flight", "8", "--duration", "30s", "--json", "--no-progress");
        assertThat(result.code()).isZero();
        JsonNode r = result.json();
        assertThat(r.path("errors").asLong()).isZero();
        assertThat(r.path("joined").asLong()).isEqualTo(members);
        assertThat(r.path("capped").asBoolean()).isFalse();
        assertThat(r.path("joinsPerSecondByTenth")).hasSize(10);
        assertThat(r.path("latencyMicros").path("count").asLong()).isEqualTo(members);
        long joinedBytes = r.path("roomJoinedBytesPerJoin").asLong();
        assertThat(joinedBytes).isBetween(50L, 5_000L);
        // Below presence.diffAboveMembers every arrival is announced to every member already in: n(n-1)/2
        // notices of at least 40 bytes each, besides each member's welcome and room_joined.
        long notices = (long) members * (members - 1) / 2;
        assertThat(r.path("receivedBytes").asLong()).isGreaterThan(members * joinedBytes + notices * 40);
        assertThat(r.path("bytesPerJoin").asLong()).isEqualTo(Math.round(r.path("receivedBytes").asDouble() / members));
    }

    @Test
    void refusesANonLoopbackTargetWithoutAllowRemote() throws Exception {
        assertUsageError(
                "refusing to load 10.11.12.13 (10.11.12.13): not a loopback address; pass --allow-remote to load a server you own",
                "bench", "echo", "--url", "ws://10.11.12.13:8080/ws", "--duration", "1s");
    }

    @Test
    void durationsAreBoundedAndReadable() {
        assertThat(BenchCommand.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(BenchCommand.parseDuration("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(BenchCommand.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThatThrownBy(() -> BenchCommand.parseDuration("2h"))
                .hasMessage("--duration must be more than 0 and at most 1h, got '2h'");
        assertThatThrownBy(() -> BenchCommand.parseDuration("soon"))
                .hasMessage("--duration must look like 500ms, 10s, 2m or 1h, got 'soon'");
        assertThat(BenchCommand.parseDuration("30")).as("a bare number is seconds").isEqualTo(Duration.ofSeconds(30));
        assertThat(BenchCommand.parseDuration("PT1M30S")).as("as the configuration writes it")
                .isEqualTo(Duration.ofSeconds(90));
        assertThatThrownBy(() -> BenchCommand.parseDuration("-PT5S"))
                .hasMessage("--duration must be more than 0 and at most 1h, got '-PT5S'");
        assertThatThrownBy(() -> BenchCommand.parseDuration("0s"))
                .hasMessage("--duration must be more than 0 and at most 1h, got '0s'");
    }

    @Test
    void errorsSayWhatCausedThem() throws Exception {
        SwitchboardServer limited = TestServer.startRateLimited(50);
        try {
            String limitedUrl = "ws://127.0.0.1:" + limited.port() + "/ws";
            // A closed loop on lean connections: the server answers echoes beyond 50/s with rate_limited.
            JsonNode lean = run("bench", "echo", "--url", limitedUrl, "--connections", "2", "--rate", "0",
                    "--warmup", "0s", "--duration", "1s", "--json", "--no-progress").json();
            assertThat(lean.path("errors").asLong()).isPositive();
            assertThat(lean.path("errorCauses").size()).isEqualTo(1);
            String cause = lean.path("errorCauses").fieldNames().next();
            assertThat(cause).startsWith("server error rate_limited: rate limit exceeded: 50 messages per second");
            assertThat(lean.path("errorCauses").path(cause).asLong()).isEqualTo(lean.path("errors").asLong());

            // Paced, on the Java client; the human summary lists the cause with its count.
            Result paced = run("bench", "echo", "--url", limitedUrl, "--connections", "1", "--rate", "200",
                    "--receiver", "client", "--warmup", "0s", "--duration", "1s", "--no-progress");
            assertThat(paced.code()).isZero();
            assertThat(paced.out()).containsPattern("error cause  \\d+ x server error rate_limited: rate limit exceeded");
        } finally {
            limited.close();
        }
    }

    @Test
    void humanOutputSummarisesTheRun() throws Exception {
        Result result = run("bench", "echo", "--url", url(), "--connections", "2", "--rate", "100", "--duration", "1s",
                "--no-progress");
        assertThat(result.code()).isZero();
        assertThat(result.out()).contains("scenario     echo").contains("latency us   p50 ");
    }
}
