package io.switchboard.cli.bench;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The outcome of a run, in the shape the {@code --json} output promises: {@code scenario, sent,
 * expected, delivered, errors, errorCauses{cause: count}, deliveredPerSecond,
 * latencyMicros{p50,p90,p99,p999,max}} plus the run's parameters and scenario-specific extras.
 * Immutable once built.
 */
public record BenchResult(Map<String, Object> fields) {

    /** The run's counters and parameters, its latencies and the scenario's extras. */
    static BenchResult of(BenchRun run, double seconds, Histogram latencyNanos, Map<String, Object> extra) {
        BenchOptions o = run.options;
        long delivered = run.delivered.sum();
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("scenario", o.scenario());
        f.put("url", o.url().toString());
        f.put("connections", o.connections());
        f.put("rooms", o.rooms());
        f.put("publishers", o.publishers());
        f.put("rate", o.rate());
        f.put("sizeBytes", o.sizeBytes());
        f.put("durationSeconds", round(o.duration().toMillis() / 1000.0));
        // What deliveredPerSecond divides by: the measured time plus the wait for late deliveries.
        f.put("deliveredOverSeconds", round(seconds));
        f.put("warmupSeconds", round(o.warmup().toMillis() / 1000.0));
        f.put("sent", run.sent.sum());
        f.put("expected", run.expected.sum());
        f.put("delivered", delivered);
        f.put("errors", run.errors());
        f.put("errorCauses", run.errorCauses());
        f.put("deliveredPerSecond", round(seconds > 0 ? delivered / seconds : 0));
        f.put("latencyMicros", micros(latencyNanos));
        f.put("latencyMeasuredFrom", "intended send time (fixed-rate schedule), corrects coordinated omission");
        f.putAll(extra);
        return new BenchResult(Collections.unmodifiableMap(f));
    }

    /** A histogram of nanoseconds as {@code count, p50, p90, p99, p999, max, mean} in microseconds. */
    static Map<String, Object> micros(Histogram nanos) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", nanos.getTotalCount());
        m.put("p50", micros(nanos, 50));
        m.put("p90", micros(nanos, 90));
        m.put("p99", micros(nanos, 99));
        m.put("p999", micros(nanos, 99.9));
        m.put("max", round(nanos.getMaxValue() / 1000.0));
        m.put("mean", round(nanos.getMean() / 1000.0));
        return m;
    }

    private static double micros(Histogram h, double percentile) {
        return round(h.getValueAtPercentile(percentile) / 1000.0);
    }

    static double round(double v) {
        return Math.round(v * 10.0) / 10.0;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> latency() {
        return (Map<String, Object>) fields.get("latencyMicros");
    }

    /** The human-readable summary printed without {@code --json}. */
    public String summary() {
        Map<String, Object> l = latency();
        return String.format(java.util.Locale.ROOT,
                "scenario     %s%n"
                        + "url          %s%n"
                        + "duration     %s s%n"
                        + "sent         %s%n"
                        + "expected     %s%n"
                        + "delivered    %s (%s msg/s)%n"
                        + "errors       %s%n"
                        + "latency us   p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (n=%s)%n"
                        + "latency from %s%n",
                fields.get("scenario"), fields.get("url"), fields.get("durationSeconds"), fields.get("sent"),
                fields.get("expected"), fields.get("delivered"), fields.get("deliveredPerSecond"), fields.get("errors"),
                l.get("p50"), l.get("p90"), l.get("p99"), l.get("p999"), l.get("max"), l.get("count"),
                fields.get("latencyMeasuredFrom"))
                + causes()
                + joins()
                + (fields.containsKey("server") ? "server       " + fields.get("server") + String.format("%n") : "");
    }

    /** A join run's rate and bytes, or nothing. */
    private String joins() {
        if (!fields.containsKey("bytesPerJoin")) {
            return "";
        }
        return String.format(java.util.Locale.ROOT,
                "joined       %s in %s s (%s/s%s)%n"
                        + "joins/s      by tenth of the members: %s%n"
                        + "bytes/join   %s to all members (room_joined %s)%n",
                fields.get("joined"), fields.get("joinSeconds"), fields.get("joinsPerSecond"),
                Boolean.TRUE.equals(fields.get("capped")) ? ", capped by --duration" : "",
                fields.get("joinsPerSecondByTenth"), fields.get("bytesPerJoin"), fields.get("roomJoinedBytesPerJoin"));
    }

    /** One line per error cause with its count, or nothing. */
    private String causes() {
        StringBuilder b = new StringBuilder();
        if (fields.get("errorCauses") instanceof Map<?, ?> causes) {
            causes.forEach((cause, n) -> b.append(String.format(java.util.Locale.ROOT, "error cause  %s x %s%n", n, cause)));
        }
        return b.toString();
    }
}
