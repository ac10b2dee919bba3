package io.switchboard.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.client.ClientListener;
import io.switchboard.client.Disconnect;
import io.switchboard.client.RoomJoined;
import io.switchboard.client.RoomListener;
import io.switchboard.client.RoomMessage;
import io.switchboard.client.ServerError;
import io.switchboard.client.SwitchboardClient;
import io.switchboard.protocol.Command;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ServerMessage;
import io.switchboard.protocol.internal.Failures;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.HdrHistogram.Histogram;

/**
 * The load shapes of {@code switchboard bench} ({@code join} is {@link JoinScenario}). Each uses only what
 * PROTOCOL.md guarantees ({@code echo}, {@code join_room}, {@code room_message}, {@code GET /health}), so any conforming
 * server can be measured and results stay comparable over time.
 *
 * <p>Latency is carried in the payload: {@code data.t} is the sender's intended send time
 * ({@link System#nanoTime()}, same process as the receiver), so a receive subtracts it directly.
 *
 * <p>Threading: each scenario runs on the calling thread; receive callbacks run on the client
 * event loops and touch only {@link BenchRun}'s thread-safe counters and recorder.
 */
public final class Scenarios {
    private static final ObjectMapper JSON = new JsonCodec().mapper();
    /** How long to wait, after sending stops, for deliveries still in flight. */
    private static final Duration DRAIN = Duration.ofSeconds(5);
    /** Fanout without publishers: how long deliveries must stop, after the window, to be taken as finished. */
    private static final Duration QUIET = Duration.ofSeconds(1);
    /** Fanout without publishers: how long to wait for the publisher's first message. */
    private static final Duration FIRST_MESSAGE_WAIT = Duration.ofSeconds(60);

    private Scenarios() {
    }

    /** Runs the scenario named in the options. */
    public static BenchResult run(BenchOptions options, java.io.PrintStream err) throws Exception {
        try (BenchRun run = new BenchRun(options, err)) {
            return switch (options.scenario()) {
                case "echo" -> echo(run);
                case "fanout" -> fanout(run);
                case "idle" -> idle(run);
                case "churn" -> churn(run);
                case "join" -> JoinScenario.run(run);
                default -> throw new IllegalArgumentException("unknown scenario " + options.scenario());
            };
        }
    }

    /** Counts server errors and unexpected disconnects while measuring. */
    private static ClientListener errorCounter(BenchRun run, Measuring measuring) {
        return new ClientListener() {
            @Override
            public void onError(ServerError error) {
                run.serverError(error.code(), error.message());
            }

            @Override
            public void onDisconnected(Disconnect disconnect) {
                disconnected(run, measuring, disconnect);
            }
        };
    }

    /** Counts a drop while measuring, with the close code and reason the server gave. */
    private static void disconnected(BenchRun run, Measuring measuring, Disconnect disconnect) {
        if (measuring.on) {
            run.closed(disconnect.code(), disconnect.reason());
        }
    }

    /** Whether drops count as errors: only between setup and teardown. */
    private static final class Measuring {
        volatile boolean on;
    }

    // ------------------------------------------------------------------ echo

    static BenchResult echo(BenchRun run) throws Exception {
        BenchOptions o = run.options;
        if (o.rate() == 0) {
            return closedLoopEcho(run);
        }
        String pad = Payloads.echoPadding(o.sizeBytes());
        Measuring measuring = new Measuring();
        ClientListener listener = new ClientListener() {
            @Override
            public void onServerMessage(JsonNode m) {
                if (ServerMessage.EchoReply.TYPE.equals(m.path("type").asText())) {
                    JsonNode t = m.path("data").path("t");
                    if (t.isIntegralNumber() && run.counts(t.asLong())) {
                        run.record(t.asLong());
                        run.delivered.increment();
                    }
                }
            }

            @Override
            public void onError(ServerError error) {
                run.serverError(error.code(), error.message());
            }

            @Override
            public void onDisconnected(Disconnect disconnect) {
                disconnected(run, measuring, disconnect);
            }
        };
        List<SwitchboardClient> conns = run.openAll(o.connections(), i -> listener, false);
        requireSome(conns, o);
        measuring.on = true;
        run.startProgress(run::alive);
        long start = System.nanoTime();
        run.measureFromNanos = start + o.warmup().toNanos();
        run.paced(o.rate(), start, run.measureFromNanos + o.duration().toNanos(), (seq, due) -> {
            SwitchboardClient c = conns.get((int) (seq % conns.size()));
            boolean counted = run.counts(due);
            if (counted) {
                run.sent.increment();
                run.expected.increment();
            }
            c.sendText(Payloads.echoCommand(due, pad))
                    .whenComplete((v, e) -> {
                        if (e != null) {
                            run.error("echo not sent", e);
                            if (counted) {
                                run.expected.decrement();
                            }
                        }
                    });
        });
        double seconds = run.drain(DRAIN);
        Map<String, Object> window = run.measuredWindow();
        measuring.on = false;
        Histogram h = run.finish();
        window.put("sendLagMicros", BenchResult.micros(run.sendLag()));
        return BenchResult.of(run, seconds, h, window);
    }

    /**
     * Echo with each connection keeping one message in flight (lean connections, see
     * {@link LeanConnections#openEcho}): round trips per second and the latency of each from its send.
     * Over {@code tcp://} the same loop measures a raw TCP echo server, the floor of a WebSocket echo.
     */
    static BenchResult closedLoopEcho(BenchRun run) throws Exception {
        BenchOptions o = run.options;
        LeanConnections lean = LeanConnections.of(run);
        BenchRun.awaitQuietly(lean.openAllEcho(o.connections(), Payloads.echoPadding(o.sizeBytes())));
        long open = run.alive();
        if (open == 0) {
            throw new IllegalStateException("no connection to " + o.url() + " could be opened");
        }
        lean.measuring = true;
        run.startProgress(run::alive);
        long start = System.nanoTime();
        run.measureFromNanos = start + o.warmup().toNanos();
        run.measureToNanos = run.measureFromNanos + o.duration().toNanos();
        lean.startEcho();
        long left;
        while ((left = run.measureToNanos - System.nanoTime()) > 0) {
            Thread.sleep(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(left))));
        }
        double seconds = run.drain(DRAIN);
        Map<String, Object> extra = new LinkedHashMap<>(run.measuredWindow());
        lean.measuring = false;
        Histogram h = run.finish();
        extra.put("loop", "closed");
        extra.put("connectionsOpen", open);
        extra.put("receivedPerSecond", BenchResult.round(run.windowArrivals.sum() / (o.duration().toNanos() / 1e9)));
        extra.put("latencyMeasuredFrom", "send to reply, one message in flight per connection (closed loop)");
        return BenchResult.of(run, seconds, h, extra);
    }

    // ------------------------------------------------------------------ fanout

    static BenchResult fanout(BenchRun run) throws Exception {
        BenchOptions o = run.options;
        int rooms = Math.max(1, o.rooms());
        String id = BenchRun.runId();
        String[] roomNames = new String[rooms];
        for (int r = 0; r < rooms; r++) {
            roomNames[r] = o.room() != null ? o.room() : "bench-" + id + "-" + r;
        }
        Measuring measuring = new Measuring();
        ClientListener base = errorCounter(run, measuring);
        RoomListener subscriber = new RoomListener() {
            @Override
            public void onRoomMessage(RoomMessage m) {
                JsonNode t = m.data() == null ? null : m.data().get("t");
                if (t != null && t.isIntegralNumber() && run.counts(t.asLong())) {
                    run.record(t.asLong());
                    run.delivered.increment();
                }
            }
        };
        RoomListener publisherSide = new RoomListener() {
        };
        AtomicIntegerArray subscribersIn = new AtomicIntegerArray(rooms);
        List<CompletableFuture<?>> joins = new ArrayList<>();
        LeanConnections lean = null;
        if (o.receiver().startsWith("lean")) {
            lean = LeanConnections.of(run);
            joins.addAll(lean.openAll(o.connections(), i -> roomNames[i % rooms],
                    i -> subscribersIn.incrementAndGet(i % rooms), false));
        } else if (o.receiver().equals("sse")) {
            lean = LeanConnections.of(run);
            joins.addAll(lean.openAllSse(o.connections(), i -> roomNames[i % rooms], i -> subscribersIn.incrementAndGet(i % rooms)));
        } else {
            List<SwitchboardClient> subs = run.openAll(o.connections(), i -> base, false);
            for (int i = 0; i < subs.size(); i++) {
                int r = i % rooms;
                joins.add(subs.get(i).join(roomNames[r], subscriber).whenComplete((j, e) -> {
                    if (e == null) {
                        subscribersIn.incrementAndGet(r);
                    } else {
                        run.error("join failed", e);
                    }
                }));
            }
        }
        if (o.publishers() == 0) {
            BenchRun.awaitQuietly(joins);
            return listen(run, lean, measuring, subscribersIn.get(0), roomNames[0]);
        }
        List<SwitchboardClient> pubs = run.openAll(o.publishers(), i -> base, false, o.publishUrl());
        requireSome(pubs, o);
        List<CompletableFuture<RoomJoined>> pubJoins = new ArrayList<>();
        for (int p = 0; p < pubs.size(); p++) {
            pubJoins.add(pubs.get(p).join(roomNames[p % rooms], publisherSide));
        }
        joins.addAll(pubJoins);
        BenchRun.awaitQuietly(joins);
        // A publisher outside its room has every publish refused (not_in_room): no run to measure.
        for (int p = 0; p < pubJoins.size(); p++) {
            CompletableFuture<RoomJoined> j = pubJoins.get(p);
            if (!j.isDone() || j.isCompletedExceptionally()) {
                String cause = j.isDone() ? j.handle((v, e) -> String.valueOf(
                        Failures.rootCause(e).getMessage())).join() : "no answer";
                throw new IllegalStateException("publisher " + p + " could not join " + roomNames[p % rooms] + ": " + cause);
            }
        }
        String[] templates = new String[rooms];
        for (int r = 0; r < rooms; r++) {
            templates[r] = "{\"type\":\"" + Command.RoomMessage.TYPE + "\",\"room\":\"" + roomNames[r] + "\",\"data\":{\"t\":";
        }
        String pad = Payloads.padding(o.sizeBytes(), templates[0] + Payloads.T_PLACEHOLDER + ",\"p\":\"\"}}");
        int subscribed = 0;
        for (int r = 0; r < rooms; r++) {
            subscribed += subscribersIn.get(r);
        }
        measuring.on = true;
        if (lean != null) {
            lean.measuring = true;
        }
        run.startProgress(run::alive);
        long start = System.nanoTime();
        run.measureFromNanos = start + o.warmup().toNanos();
        run.measureToNanos = run.measureFromNanos + o.duration().toNanos();
        run.paced(o.rate(), start, run.measureToNanos, (seq, due) -> {
            int p = (int) (seq % pubs.size());
            int r = p % rooms;
            boolean counted = run.counts(due);
            int audience = counted ? subscribersIn.get(r) : 0;
            if (counted) {
                run.sent.increment();
                run.expected.add(audience);
            }
            pubs.get(p).sendText(templates[r] + due + ",\"p\":\"" + pad + "\"}}").whenComplete((v, e) -> {
                if (e != null) {
                    run.error("publish not sent", e);
                    run.expected.add(-audience);
                }
            });
        });
        double seconds = run.drain(DRAIN);
        return fanoutResult(run, measuring, lean, subscribed, pubs.size(), seconds,
                Map.of("sendLagMicros", BenchResult.micros(run.sendLag())));
    }

    /**
     * Fanout with {@code --publishers 0}: subscribes, says so on stderr, and counts what a publisher in
     * another process on this machine sends into the room, over the window of send times its first message
     * sets (see {@link BenchRun#anchorOnFirstMessage}): the same window that publisher measures, when it
     * started sending after this run joined. With no schedule of its own it expects nothing; what should
     * have arrived is that publisher's {@code sent} times this run's {@code subscribers}. After the window
     * it waits for deliveries still in flight until they stop for a second.
     */
    private static BenchResult listen(BenchRun run, LeanConnections lean, Measuring measuring, int subscribed,
                                      String room) throws Exception {
        BenchOptions o = run.options;
        run.anchorOnFirstMessage();
        run.note("fanout: " + subscribed + " subscribers joined " + room + "; waiting for the first message");
        if (subscribed == 0) {
            throw new IllegalStateException("no subscriber could join " + room + " on " + o.url());
        }
        if (!run.awaitAnchor(FIRST_MESSAGE_WAIT)) {
            throw new IllegalStateException("no bench message arrived in " + room + " within "
                    + FIRST_MESSAGE_WAIT.toSeconds() + " s");
        }
        measuring.on = true;
        if (lean != null) {
            lean.measuring = true;
        }
        run.startProgress(run::alive);
        long left;
        while ((left = run.measureToNanos - System.nanoTime()) > 0) {
            Thread.sleep(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(left))));
        }
        long deadline = System.nanoTime() + DRAIN.toNanos();
        long last = run.delivered.sum();
        long lastChange = System.nanoTime();
        while (System.nanoTime() < deadline && System.nanoTime() - lastChange < QUIET.toNanos()) {
            Thread.sleep(5);
            long now = run.delivered.sum();
            if (now != last) {
                last = now;
                lastChange = System.nanoTime();
            }
        }
        // Up to the last delivery seen, not through the quiet second that showed it was the last.
        double seconds = Math.max(o.duration().toNanos(), lastChange - run.measureFromNanos) / 1e9;
        return fanoutResult(run, measuring, lean, subscribed, 0, seconds, Map.of("latencyMeasuredFrom",
                "intended send time of a publisher in another process (same machine, same monotonic clock); window "
                        + "set by its first message"));
    }

    /** Ends a fan-out's measurement and builds its result: the window, the subscribers' side, then {@code more}. */
    private static BenchResult fanoutResult(BenchRun run, Measuring measuring, LeanConnections lean, int subscribed,
                                            int publishersConnected, double seconds, Map<String, Object> more)
            throws InterruptedException {
        Map<String, Object> extra = new LinkedHashMap<>(run.measuredWindow());
        measuring.on = false;
        if (lean != null) {
            lean.measuring = false;
        }
        Histogram h = run.finish();
        extra.put("subscribers", subscribed);
        extra.put("receiver", run.options.receiver());
        if (lean != null) {
            extra.put("receivedPerSecond",
                    BenchResult.round(run.windowArrivals.sum() / (run.options.duration().toNanos() / 1e9)));
        }
        extra.put("publishersConnected", publishersConnected);
        extra.putAll(more);
        return BenchResult.of(run, seconds, h, extra);
    }

    // ------------------------------------------------------------------ idle

    static BenchResult idle(BenchRun run) throws Exception {
        BenchOptions o = run.options;
        Map<String, Object> before = health(o.url());
        Measuring measuring = new Measuring();
        ClientListener base = errorCounter(run, measuring);
        String id = BenchRun.runId();
        LeanConnections lean = null;
        run.startProgress(run::alive);
        if (o.receiver().equals("lean")) {
            lean = LeanConnections.of(run);
            BenchRun.awaitQuietly(lean.openAll(o.connections(), i -> o.rooms() > 0 ? "bench-idle-" + id + "-" + (i % o.rooms()) : null,
                    i -> { }, true));
        } else {
            List<SwitchboardClient> conns = run.openAll(o.connections(), i -> base, true);
            if (o.rooms() > 0) {
                List<CompletableFuture<RoomJoined>> joins = new ArrayList<>();
                for (int i = 0; i < conns.size(); i++) {
                    joins.add(conns.get(i).join("bench-idle-" + id + "-" + (i % o.rooms())));
                }
                BenchRun.awaitQuietly(joins);
            }
        }
        run.sent.add(o.connections());
        run.expected.add(o.connections());
        if (lean != null) {
            lean.measuring = true;
        }
        measuring.on = true;
        // The hold starts once every connection is open: --duration is time spent idle, not connecting.
        long start = System.nanoTime();
        long end = start + o.duration().toNanos();
        Map<String, Object> after = null;
        boolean sampled = false;
        while (System.nanoTime() < end) {
            Thread.sleep(Math.max(1, Math.min(200, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()))));
            // Sample the server once the connections settled, halfway through the hold.
            if (!sampled && System.nanoTime() > start + o.duration().toNanos() / 2) {
                after = health(o.url());
                sampled = true;
            }
        }
        if (after == null) {
            after = health(o.url());
        }
        long held = run.alive();
        run.delivered.add(held);
        measuring.on = false;
        if (lean != null) {
            lean.measuring = false;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Histogram h = run.finish();
        Map<String, Object> server = new LinkedHashMap<>();
        server.put("before", before);
        server.put("during", after);
        Object heapPerConnection = perConnection(before, after, held);
        if (heapPerConnection != null) {
            server.put("memoryPerConnectionBytes", heapPerConnection);
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("connectionsHeld", held);
        extra.put("receiver", o.receiver());
        extra.put("server", server);
        extra.put("latencyMeasuredFrom", o.receiver().startsWith("lean")
                ? "connect start to the upgrade response, or to room_joined with --rooms (setup latency)"
                : "connect start to welcome (connection setup latency)");
        return BenchResult.of(run, seconds, h, extra);
    }

    private static Object perConnection(Map<String, Object> before, Map<String, Object> after, long connections) {
        if (connections <= 0 || !(before.get("heapUsedBytes") instanceof Long hb) || !(after.get("heapUsedBytes") instanceof Long ha)) {
            return null;
        }
        long db = before.get("directUsedBytes") instanceof Long d ? d : 0;
        long da = after.get("directUsedBytes") instanceof Long d ? d : 0;
        return ((ha + da) - (hb + db)) / connections;
    }

    /** Server memory from {@code GET /health} (PROTOCOL.md section 8), or the error that prevented it. */
    static Map<String, Object> health(URI wsUrl) {
        Map<String, Object> out = new LinkedHashMap<>();
        String scheme = wsUrl.getScheme().toLowerCase(Locale.ROOT).equals("wss") ? "https" : "http";
        URI health = URI.create(scheme + "://" + wsUrl.getRawAuthority() + "/health");
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            JsonNode body = JSON.readTree(r.body());
            JsonNode system = body.path("system");
            out.put("status", body.path("status").asText(String.valueOf(r.statusCode())));
            for (String field : List.of("heapUsedBytes", "heapMaxBytes", "directUsedBytes", "connections", "threads")) {
                if (system.hasNonNull(field)) {
                    out.put(field, system.get(field).asLong());
                }
            }
        } catch (Exception e) {
            out.put("error", "GET " + health + " failed: " + e);
        }
        return out;
    }

    // ------------------------------------------------------------------ churn

    static BenchResult churn(BenchRun run) throws Exception {
        BenchOptions o = run.options;
        int rooms = Math.max(1, o.rooms());
        String id = BenchRun.runId();
        int concurrency = Math.max(1, o.connections());
        Semaphore slots = new Semaphore(concurrency);
        ClientListener base = new ClientListener() {
            @Override
            public void onError(ServerError error) {
                run.serverError(error.code(), error.message());
            }
        };
        run.startProgress(() -> concurrency - slots.availablePermits());
        long start = System.nanoTime();
        run.measureFromNanos = start + o.warmup().toNanos();
        run.paced(o.rate(), start, run.measureFromNanos + o.duration().toNanos(), (seq, due) -> {
            // All slots busy: wait, keeping the intended start, so the wait counts in the latency.
            slots.acquireUninterruptibly();
            boolean counted = run.counts(due);
            if (counted) {
                run.sent.increment();
                run.expected.increment();
            }
            SwitchboardClient c = run.client(base);
            c.connect()
                    .thenCompose(w -> c.join("bench-churn-" + id + "-" + (seq % rooms)))
                    .whenComplete((joined, e) -> {
                        if (e == null) {
                            if (counted) {
                                run.record(due);
                                run.delivered.increment();
                            }
                        } else {
                            run.error("connect or join failed", e);
                        }
                        c.closeAsync().whenComplete((v, e2) -> {
                            run.forget(c);
                            slots.release();
                        });
                    });
        });
        double seconds = (System.nanoTime() - run.measureFromNanos) / 1e9;
        slots.tryAcquire(concurrency, DRAIN.toMillis(), TimeUnit.MILLISECONDS);
        Histogram h = run.finish();
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("latencyMeasuredFrom", "intended cycle start to room_joined (connect + upgrade + welcome + join)");
        extra.put("sendLagMicros", BenchResult.micros(run.sendLag()));
        return BenchResult.of(run, seconds, h, extra);
    }

    // ------------------------------------------------------------------ helpers

    private static void requireSome(List<SwitchboardClient> conns, BenchOptions o) {
        if (conns.isEmpty()) {
            throw new IllegalStateException("no connection to " + o.url() + " could be opened");
        }
    }
}
