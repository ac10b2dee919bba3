package io.switchboard.cli.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;

/**
 * {@code switchboard bench join}: how a room's joins and the bytes they cost grow with the room. Runs on the calling
 * thread; the members' callbacks run on the lean connections' event loops and touch only thread-safe counters.
 */
final class JoinScenario {
    /** How long a run waits after its last join for the notices and diffs still due (3 × the default diff interval). */
    private static final Duration JOIN_SETTLE = Duration.ofSeconds(3);

    private JoinScenario() {
    }

    /**
     * N lean members join one room, {@code --in-flight} joins at a time (256 unless told), each staying and reading
     * everything, until all have joined or {@code duration} has passed ({@code capped}: some were never started). Reports the join rate overall and in each tenth of the members (a big room's
     * joins get slower as it grows when every join costs O(room) bytes), the bytes every member received per join
     * (welcome, {@code room_joined}, notices, diffs, pings: every frame, headers included) and the
     * {@code room_joined} bytes per join. Latency: connect, upgrade and join, each from its own start.
     */
    static BenchResult run(BenchRun run) throws Exception {
        BenchOptions o = run.options;
        String room = o.room() != null ? o.room() : "bench-" + BenchRun.runId() + "-join";
        int n = o.connections();
        AtomicLongArray tenthReachedAt = new AtomicLongArray(10);
        AtomicInteger joined = new AtomicInteger();
        LeanConnections lean = LeanConnections.of(run);
        lean.measuring = true;
        run.startProgress(run::alive);
        long start = System.nanoTime();
        run.measureToNanos = start + o.duration().toNanos();
        run.openUntilNanos = run.measureToNanos;
        List<CompletableFuture<Void>> joins = lean.openAll(n, i -> room, i -> {
            int k = joined.incrementAndGet();
            if (k % Math.max(1, n / 10) == 0 && k / Math.max(1, n / 10) <= 10) {
                tenthReachedAt.set(k / Math.max(1, n / 10) - 1, System.nanoTime());
            }
        }, true);
        run.sent.add(joins.size());
        run.expected.add(joins.size());
        BenchRun.awaitQuietly(joins);
        long end = System.nanoTime();
        Thread.sleep(JOIN_SETTLE.toMillis());
        long members = joined.get();
        run.delivered.add(members);
        double seconds = (end - start) / 1e9;
        Histogram h = run.finish();
        lean.measuring = false;
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("room", room);
        extra.put("joined", members);
        extra.put("capped", joins.size() < n);
        extra.put("joinSeconds", BenchResult.round(seconds));
        extra.put("joinsPerSecond", BenchResult.round(members / seconds));
        List<Double> byTenth = new ArrayList<>();
        long previous = start;
        for (int t = 0; t < 10 && tenthReachedAt.get(t) != 0; t++) {
            byTenth.add(BenchResult.round(Math.max(1, n / 10) / ((tenthReachedAt.get(t) - previous) / 1e9)));
            previous = tenthReachedAt.get(t);
        }
        extra.put("joinsPerSecondByTenth", byTenth);
        extra.put("bytesPerJoin", members == 0 ? 0 : Math.round((double) run.frameBytes.sum() / members));
        extra.put("roomJoinedBytesPerJoin", members == 0 ? 0 : Math.round((double) run.roomJoinedBytes.sum() / members));
        extra.put("receivedBytes", run.frameBytes.sum());
        extra.put("inFlight", o.inFlight());
        extra.put("latencyMeasuredFrom", "each member's connect to its room_joined (" + o.inFlight() + " in flight)");
        return BenchResult.of(run, seconds, h, extra);
    }
}
