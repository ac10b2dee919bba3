package io.switchboard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The benchmark harness: runs each workload against Switchboard, the naive ChannelGroup baseline and
 * the peers from other stacks (Vert.x, Node ws), the server pinned to CPU 0 and {@code switchboard bench}
 * to CPU 1 with {@code taskset}, repeats each run, and writes medians, spread, ratios to the baseline and
 * a chart. A run whose load generator kept its CPU more than 80% busy is flagged invalid: it measured the
 * client, not the server. A peer whose runtime is missing here is skipped, with what to install.
 *
 * <p>Usage (after {@code ./mvnw -q package -DskipTests}): {@code benchmarks/run [--smoke] [--repeats N]
 * [--duration 10s] [--out DIR] [--only WORKLOAD-PREFIX or NAME$] [--target switchboard|naive|vertx|node-ws|tcp_floor[,...]]
 * [--server-set key=value]...}.
 */
public final class Harness {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** A load generator busier than this measured itself. */
    static final double CLIENT_BOUND_BUSY = 0.80;
    private static final long CLOCK_TICKS_PER_SECOND = 100;

    /**
     * One load shape with the bench arguments that produce it.
     *
     * @param receiver how the subscribers read: {@code lean} (WebSocket), {@code lean-deflate} (WebSocket with
     *     permessage-deflate; the server runs with {@code websocket.enableCompression=true}) or {@code sse}
     *     (Server-Sent Events)
     */
    record Workload(String name, String scenario, int connections, int rooms, int publishers, int rate, int size,
                    boolean chart, String receiver) {
        Workload(String name, String scenario, int connections, int rooms, int publishers, int rate, int size,
                 boolean chart) {
            this(name, scenario, connections, rooms, publishers, rate, size, chart, "lean");
        }

        List<String> benchArgs(String url, String duration, String warmup) {
            return List.of(scenario, "--url", url, "--connections", String.valueOf(connections), "--rooms",
                    String.valueOf(rooms), "--publishers", String.valueOf(publishers), "--rate", String.valueOf(rate),
                    "--size", String.valueOf(size), "--duration", duration, "--warmup", warmup, "--json",
                    "--no-progress", "--receiver", receiver);
        }
    }

    /**
     * The servers under test. {@code NAIVE} ({@link NaiveBroadcastServer}) is the same-stack baseline;
     * {@code VERTX} ({@link VertxBroadcastServer}) and {@code NODE_WS} ({@value PeerServers#NODE_WS_DIR})
     * are peers from other stacks, each written as its own docs write a broadcast server. {@code TCP_FLOOR}
     * ({@link TcpEchoServer}) runs the echo workloads only, over raw TCP with the same closed-loop client:
     * the floor a WebSocket echo is compared with.
     */
    enum Target {
        SWITCHBOARD, NAIVE, VERTX, NODE_WS, TCP_FLOOR;

        boolean runs(Workload w) {
            if (w.receiver().equals("sse")) {
                return this == SWITCHBOARD; // the baseline and the peers speak WebSocket only
            }
            if (w.receiver().equals("lean-deflate")) {
                // Compressed fan-out: Switchboard compresses each message once for all members, the naive server
                // (Netty's compression handler, as its examples use it) once per member.
                return this == SWITCHBOARD || this == NAIVE;
            }
            return this != TCP_FLOOR || w.scenario().equals("echo");
        }

        /** The name in tables, logs and {@code --target}: {@code node-ws}, {@code tcp_floor}. */
        String label() {
            return this == NODE_WS ? "node-ws" : name().toLowerCase(Locale.ROOT);
        }

        /** A target from its {@link #label} (or its enum name, in any case). */
        static Target parse(String name) {
            for (Target t : values()) {
                if (t.label().equalsIgnoreCase(name) || t.name().equalsIgnoreCase(name)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown target " + name + " (use "
                    + String.join(", ", Arrays.stream(values()).map(Target::label).toList()) + ")");
        }
    }

    /** Where the kernel lists its DAMON monitors (see {@link Report#damonNote}). */
    private static final Path KDAMONDS = Path.of("/sys/kernel/mm/damon/admin/kdamonds");

    private final Path root;
    private final Path out;
    private final int repeats;
    private final String duration;
    /** Length of the server's discarded warm-up run. */
    private final String warmup;
    /**
     * The measured bench's own unmeasured start: it is a new JVM each time. 2 s was too short for the
     * closed-loop echo, whose client was still compiling: 12k round trips/s over one connection with CPU 1
     * 97% busy, against 19-37k after a longer start.
     */
    private final String benchWarmup;
    private static final String BENCH_WARMUP = "5s";
    /** The smoke run checks the harness, not the numbers: a short bench warm-up keeps it short with every target. */
    private static final String SMOKE_BENCH_WARMUP = "1s";
    private final boolean pin;
    private final List<Workload> workloads;
    /** The servers to run; all unless {@code --target} names one. */
    private List<Target> targets = List.of(Target.values());
    /** Where a run with {@code --server-set} records its settings, for {@code --report} to say them again. */
    private static final String SERVER_SETTINGS_FILE = "server-settings.txt";
    /** Extra {@code --set key=value} settings for the Switchboard server (an A/B of one setting). */
    private List<String> serverSettings = List.of();
    /** How the servers other than Switchboard start; replaced in tests to look runtimes up elsewhere. */
    private PeerServers peers;
    /** Targets skipped in this run, with why (a runtime missing here) and what to install. */
    private final Map<Target, String> skipped = new LinkedHashMap<>();

    private Harness(Path root, Path out, int repeats, String duration, String warmup, String benchWarmup,
                    List<Workload> workloads) {
        this.root = root;
        this.out = out;
        this.repeats = repeats;
        this.duration = duration;
        this.warmup = warmup;
        this.benchWarmup = benchWarmup;
        this.workloads = workloads;
        this.pin = Runtime.getRuntime().availableProcessors() >= 2 && PeerServers.onPath("taskset");
        this.peers = new PeerServers(root);
    }

    /** The smoke run: every target, each workload of {@link #smokeSuite} once for 2 s, short warm-ups. */
    static Harness smoke(Path root, Path out) {
        return new Harness(root, out, 1, "2s", "1s", SMOKE_BENCH_WARMUP, smokeSuite());
    }

    /** Runs only {@code targets} (all by default). */
    void targets(List<Target> targets) {
        this.targets = List.copyOf(targets);
    }

    /** Starts the peers with {@code peers} (to look runtimes up elsewhere than on the PATH). */
    void peers(PeerServers peers) {
        this.peers = peers;
    }

    /** The targets skipped in the last {@link #run}, with why. */
    Map<Target, String> skipped() {
        return Map.copyOf(skipped);
    }

    static List<Workload> fullSuite() {
        List<Workload> w = new ArrayList<>();
        for (int rate : new int[] {100, 250, 500, 1000, 2000}) {
            w.add(new Workload("fanout-1k@" + rate, "fanout", 1000, 1, 1, rate, 100, true));
        }
        // The same fan-out to Server-Sent Events subscribers: named after the WebSocket run it sits next to, so
        // --only fanout-1k@500 runs both.
        for (int rate : new int[] {250, 500, 1000}) {
            w.add(new Workload("fanout-1k@" + rate + "-sse", "fanout", 1000, 1, 1, rate, 100, false, "sse"));
        }
        // Every subscriber negotiates permessage-deflate and inflates what arrives, as a browser does.
        for (int rate : new int[] {250, 1000}) {
            w.add(new Workload("fanout-1k@" + rate + "-deflate", "fanout", 1000, 1, 1, rate, 100, false,
                    "lean-deflate"));
        }
        // 2.5M deliveries/s: the coalesced-write limit of one core here is 2.6-3.9M frames/s. Not in the chart,
        // whose x axis stops at 2,000.
        w.add(new Workload("fanout-1k@2500", "fanout", 1000, 1, 1, 2500, 100, false));
        w.add(new Workload("fanout-10k@100", "fanout", 10_000, 1, 1, 100, 100, false));
        // Many small rooms, history on (the default): 1,000 rooms of 10 subscribers, a publisher in each, so
        // every publish is an append, a sequence number and an ack as well as a fan-out of 10.
        for (int rate : new int[] {20_000, 50_000}) {
            w.add(new Workload("rooms-1k@" + rate, "fanout", 10_000, 1000, 1000, rate, 100, false));
        }
        // Closed loop (rate 0): each connection keeps one echo in flight.
        w.add(new Workload("echo-1", "echo", 1, 1, 1, 0, 100, false));
        w.add(new Workload("echo-100", "echo", 100, 1, 1, 0, 100, false));
        return w;
    }

    static List<Workload> smokeSuite() {
        return List.of(new Workload("fanout-50@50", "fanout", 50, 1, 1, 50, 100, true),
                new Workload("echo-1", "echo", 1, 1, 1, 0, 100, false));
    }

    public static void main(String[] args) throws Exception {
        boolean smoke = false;
        int repeats = 3;
        String duration = null;
        Path out = null;
        String only = null;
        List<Target> targets = List.of(Target.values());
        List<String> serverSettings = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--smoke" -> smoke = true;
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                case "--duration" -> duration = args[++i];
                case "--out" -> out = Path.of(args[++i]);
                case "--only" -> only = args[++i];
                case "--report" -> {
                    rerender(Path.of(args[++i]));
                    return;
                }
                case "--target" -> targets = Arrays.stream(args[++i].split(",")).map(Target::parse).distinct().toList();
                case "--server-set" -> {
                    String setting = args[++i];
                    if (!setting.matches("[A-Za-z0-9.]+=\\S+")) {
                        throw new IllegalArgumentException("--server-set takes key=value (a serve --set), got " + setting);
                    }
                    serverSettings.add(setting);
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (use --smoke, --repeats N, --duration 10s, --out DIR, --only PREFIX, --target switchboard|naive|vertx|node-ws|tcp_floor[,...], "
                        + "--server-set key=value, --report DIR)");
            }
        }
        Path root = Path.of(System.getProperty("switchboard.root", ".")).toAbsolutePath().normalize();
        List<Workload> suite = new ArrayList<>(smoke ? smokeSuite() : fullSuite());
        if (only != null) {
            // A trailing $ names one workload exactly: fanout-1k@1000$ leaves out its -sse and -deflate variants.
            String prefix = only;
            suite.removeIf(w -> prefix.endsWith("$") ? !w.name().equals(prefix.substring(0, prefix.length() - 1))
                    : !w.name().startsWith(prefix));
        }
        if (out == null) {
            out = root.resolve("benchmarks/results/"
                    + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        }
        Harness harness = new Harness(root, out, smoke ? 1 : repeats, duration != null ? duration : smoke ? "2s" : "10s",
                smoke ? "1s" : "10s", smoke ? SMOKE_BENCH_WARMUP : BENCH_WARMUP, suite);
        harness.targets = targets;
        harness.serverSettings = List.copyOf(serverSettings);
        int exit = harness.run();
        System.exit(exit);
    }

    /** Writes {@code results.md} and the chart again from a run's {@code results.json} (after a report change). */
    static void rerender(Path dir) throws IOException {
        JsonNode json = JSON.readTree(dir.resolve("results.json").toFile());
        Map<String, Map<Target, List<JsonNode>>> results = new LinkedHashMap<>();
        List<Workload> all = new ArrayList<>(fullSuite());
        all.addAll(smokeSuite());
        int repeats = 0;
        String duration = "?";
        for (var w : (Iterable<Map.Entry<String, JsonNode>>) json::fields) {
            for (var t : (Iterable<Map.Entry<String, JsonNode>>) w.getValue()::fields) {
                List<JsonNode> runs = new ArrayList<>();
                t.getValue().forEach(runs::add);
                repeats = Math.max(repeats, runs.size());
                duration = runs.isEmpty() ? duration : (int) runs.get(0).path("durationSeconds").asDouble() + "s";
                results.computeIfAbsent(w.getKey(), k -> new LinkedHashMap<>()).put(Target.parse(t.getKey()), runs);
            }
        }
        List<Workload> present = all.stream().filter(w -> results.containsKey(w.name())).distinct().toList();
        boolean pinned = results.values().stream().flatMap(m -> m.values().stream()).flatMap(List::stream)
                .anyMatch(r -> r.has("cpu1Busy"));
        Path settings = dir.resolve(SERVER_SETTINGS_FILE);
        Files.writeString(dir.resolve("results.md"), Report.markdown(results, repeats, pinned, duration)
                + Report.serverSettingsNote(Files.exists(settings) ? Files.readAllLines(settings) : List.of()));
        Files.writeString(dir.resolve("fanout-rate.svg"), Report.chart(present, results));
        log("rewrote " + dir.resolve("results.md"));
    }

    /** Runs everything and writes the reports; returns 0 when every run produced a result. */
    int run() throws Exception {
        Files.createDirectories(out);
        requireFile(root.resolve("cli/target/switchboard.jar"));
        requireFile(root.resolve("bench/target/benchmarks.jar"));
        log("results go to " + out + (pin ? " (server on CPU 0, load generator on CPU 1)"
                : " (taskset or a second CPU missing: runs are NOT pinned)")
                + (serverSettings.isEmpty() ? "" : "; " + Report.serverSettingsNote(serverSettings).strip()));
        if (!serverSettings.isEmpty()) {
            Files.write(out.resolve(SERVER_SETTINGS_FILE), serverSettings);
        }
        String machineNote = Report.machineNote(Path.of("/proc/cpuinfo"), Path.of("/proc/sys/kernel/osrelease"),
                System.getProperty("java.runtime.version")) + Report.damonNote(KDAMONDS);
        machineNote.lines().filter(line -> !line.isBlank()).forEach(Harness::log);
        skipped.clear();
        for (Target t : targets) {
            String missing = peers.missing(t);
            if (missing != null && workloads.stream().anyMatch(t::runs)) {
                skipped.put(t, missing);
                log("skipping " + t.label() + ": " + missing);
            }
        }
        List<Target> running = targets.stream().filter(t -> !skipped.containsKey(t)).toList();
        Map<String, Map<Target, List<JsonNode>>> results = new LinkedHashMap<>();
        int failures = 0;
        int total = 0;
        for (Workload w : workloads) {
            total += (int) running.stream().filter(t -> t.runs(w)).count() * repeats;
        }
        int done = 0;
        for (Workload w : workloads) {
            for (Target t : running) {
                if (!t.runs(w)) {
                    continue;
                }
                for (int r = 1; r <= repeats; r++) {
                    done++;
                    log(String.format(Locale.ROOT, "[%d/%d] %s on %s, run %d", done, total, w.name(),
                            t.label(), r));
                    JsonNode result = runOnce(w, t);
                    if (result == null) {
                        failures++;
                        continue;
                    }
                    results.computeIfAbsent(w.name(), k -> new LinkedHashMap<>())
                            .computeIfAbsent(t, k -> new ArrayList<>()).add(result);
                }
            }
        }
        Files.writeString(out.resolve("results.json"), JSON.writeValueAsString(results));
        Files.writeString(out.resolve("results.md"), Report.markdown(results, repeats, pin, duration)
                + Report.skippedNote(skipped) + Report.serverSettingsNote(serverSettings) + machineNote);
        Files.writeString(out.resolve("fanout-rate.svg"), Report.chart(workloads, results));
        log("wrote " + out.resolve("results.md"));
        return failures == 0 ? 0 : 1;
    }

    /** About five scrapes per measured window ("8s", "2s", "500ms", "1m"), at most one every two seconds. */
    static long scrapePeriodMillis(String duration) {
        long millis;
        try {
            millis = io.switchboard.server.config.ValueType.parseDuration(duration).toMillis();
        } catch (IllegalArgumentException | ArithmeticException e) {
            return BatchWaitSampler.MAX_PERIOD_MILLIS;
        }
        return Math.max(100, Math.min(BatchWaitSampler.MAX_PERIOD_MILLIS, millis / 5));
    }

    /** Starts the server, runs the bench once, stops the server; null when the run failed. */
    private JsonNode runOnce(Workload w, Target target) throws Exception {
        int port = freePort();
        try {
            peers.prepare(target, serverLog(target));
        } catch (IOException e) {
            log("  " + target.label() + " could not be installed: " + e.getMessage());
            return null;
        }
        Process server = startServer(target, port, w);
        try {
            awaitListening(port, server);
            // A discarded warm-up run first, so JIT compilation and start-up stay out of the server CPU count.
            if (bench(w, target, port, warmup, "0s") == null) {
                log("  warm-up run failed");
                return null;
            }
            long t0 = System.nanoTime();
            CpuSampler sampler = new CpuSampler(server.pid());
            BatchWaitSampler waits = target == Target.SWITCHBOARD && w.scenario().equals("fanout")
                    ? new BatchWaitSampler(port, scrapePeriodMillis(duration)) : null;
            JsonNode parsed;
            try {
                // The bench is a new JVM: its own first seconds (JIT) are sent but not measured.
                parsed = bench(w, target, port, duration, benchWarmup);
            } finally {
                sampler.stop();
                if (waits != null) {
                    waits.stop();
                }
            }
            if (parsed == null) {
                return null;
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            // CPU over the measured window only: connecting, joining and warmup are not the server's fan-out cost.
            CpuSampler.Sample from = sampler.at(parsed.path("measuredFromEpochMillis").asLong(0));
            CpuSampler.Sample to = sampler.at(parsed.path("measuredToEpochMillis").asLong(Long.MAX_VALUE));
            long serverTicks = to.serverTicks() - from.serverTicks();
            double[] busy = ProcStat.busyFractions(from.cpuTimes(), to.cpuTimes());
            var result = (com.fasterxml.jackson.databind.node.ObjectNode) parsed;
            double serverCpuSeconds = serverTicks / (double) CLOCK_TICKS_PER_SECOND;
            long delivered = parsed.path("delivered").asLong();
            result.put("serverCpuSeconds", serverCpuSeconds);
            result.put("wallSeconds", seconds);
            result.put("cpuWindowSeconds", (to.epochMillis() - from.epochMillis()) / 1000.0);
            result.put("serverCpuMicrosPerDelivery", delivered > 0 ? serverCpuSeconds * 1e6 / delivered : 0);
            BatchWaitSampler.Window wait = waits == null ? null : waits.between(
                    parsed.path("measuredFromEpochMillis").asLong(0),
                    parsed.path("measuredToEpochMillis").asLong(Long.MAX_VALUE));
            if (wait != null) {
                var node = result.putObject("serverBatchWait");
                node.put("batches", wait.batches());
                node.put("p50Millis", wait.p50Millis());
                node.put("p99Millis", wait.p99Millis());
                node.put("maxMillis", wait.maxMillis());
            }
            if (busy.length >= 2 && pin) {
                result.put("cpu0Busy", busy[0]);
                result.put("cpu1Busy", busy[1]);
                result.put("clientBound", busy[1] > CLIENT_BOUND_BUSY);
            }
            log(String.format(Locale.ROOT, "  received %.0f/s, delivered %d (%.0f/s), p99 %d us%s, server CPU %.2f us/delivery%s",
                    Report.throughput(parsed), delivered, parsed.path("deliveredPerSecond").asDouble(),
                    parsed.path("latencyMicros").path("p99").asLong(),
                    wait == null ? "" : String.format(Locale.ROOT, " (server batch wait p99 <= %s ms)",
                            Report.millis(wait.p99Millis())),
                    Report.serverCpuMicrosPerDelivery(result),
                    result.path("clientBound").asBoolean() ? "  [client-bound: invalid]" : ""));
            return result;
        } finally {
            server.destroy();
            if (!server.waitFor(20, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    /** Runs {@code switchboard bench} pinned to CPU 1; its JSON result, or null when it failed. */
    private JsonNode bench(Workload w, Target target, int port, String length, String benchWarmup) throws Exception {
        List<String> cmd = new ArrayList<>(pinned(1));
        cmd.addAll(List.of(java(), "-Xms512m", "-Xmx2g", "-jar", root.resolve("cli/target/switchboard.jar").toString(),
                "bench"));
        cmd.addAll(w.benchArgs(target == Target.TCP_FLOOR ? "tcp://127.0.0.1:" + port : "ws://127.0.0.1:" + port + "/ws",
                length, benchWarmup));
        Process bench = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] stdout = bench.getInputStream().readAllBytes();
        if (!bench.waitFor(10, TimeUnit.MINUTES) || bench.exitValue() != 0) {
            log("  bench failed (exit " + (bench.isAlive() ? "timeout" : bench.exitValue()) + ")");
            bench.destroyForcibly();
            return null;
        }
        return JSON.readTree(new String(stdout, StandardCharsets.UTF_8));
    }

    /**
     * Pre-touched heap for every JVM server: otherwise the first young collections fault in the survivor
     * spaces' pages during the pause, which on this VM doubled it (33-49 ms to 18-22 ms for the first one
     * under fan-out load).
     */
    private static final List<String> SERVER_JVM_OPTIONS = List.of("-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch");
    /** The abuse limits off, the same settings file as the benchmark scripts' servers (benchmarks/lib/server.sh). */
    private static final String UNLIMITED = "benchmarks/unlimited.yaml";
    private static final Pattern LAUNCHER_TUNABLES = Pattern.compile("export GLIBC_TUNABLES=\"\\$\\{GLIBC_TUNABLES:-([^}]+)}\"");

    private Process startServer(Target target, int port, Workload w) throws IOException {
        List<String> cmd = new ArrayList<>(pinned(0));
        if (target == Target.SWITCHBOARD) {
            cmd.add(java());
            cmd.addAll(SERVER_JVM_OPTIONS);
            cmd.addAll(List.of("-jar", root.resolve("cli/target/switchboard.jar").toString(), "serve",
                    "--host", "127.0.0.1", "--port", String.valueOf(port), "--set", "server.ioThreads=1",
                    "--set", "shutdown.drainTimeout=0s",
                    // A load test from one address: the abuse limits would measure themselves.
                    "--config", root.resolve(UNLIMITED).toString()));
            if (w.receiver().equals("lean-deflate")) {
                cmd.addAll(List.of("--set", "websocket.enableCompression=true"));
            }
            for (String setting : serverSettings) {
                cmd.addAll(List.of("--set", setting));
            }
        } else {
            cmd.addAll(peers.command(target, port, java(), SERVER_JVM_OPTIONS));
        }
        ProcessBuilder server = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(serverLog(target).toFile()));
        if (target == Target.SWITCHBOARD && !System.getenv().containsKey("GLIBC_TUNABLES")) {
            server.environment().put("GLIBC_TUNABLES", launcherTunables());
        }
        return server.start();
    }

    /** The malloc settings bin/switchboard gives the server: measured as users run it. */
    private String launcherTunables() throws IOException {
        Matcher m = LAUNCHER_TUNABLES.matcher(Files.readString(root.resolve("bin/switchboard")));
        if (!m.find()) {
            throw new IllegalStateException("bin/switchboard no longer sets GLIBC_TUNABLES as the harness expects");
        }
        return m.group(1);
    }

    private Path serverLog(Target target) {
        return out.resolve("server-" + target.label() + ".log");
    }

    private List<String> pinned(int cpu) {
        return pin ? List.of("taskset", "-c", String.valueOf(cpu)) : List.of();
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static void awaitListening(int port, Process server) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                throw new IllegalStateException("server exited with " + server.exitValue());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("server did not listen on " + port);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void requireFile(Path p) {
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException(p + " is missing: build first with ./mvnw -q package -DskipTests");
        }
    }

    private static void log(String s) {
        System.err.println("harness: " + s);
    }
}
