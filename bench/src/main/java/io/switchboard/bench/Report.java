package io.switchboard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/** The harness's tables (Markdown) and chart (SVG), from the raw bench results. */
final class Report {
    private Report() {
    }

    /** A histogram bucket bound in milliseconds, as Prometheus buckets are written: 0.5, 10, 250. */
    static String millis(double ms) {
        return Double.isInfinite(ms) ? "∞" : new java.math.BigDecimal(ms).round(new java.math.MathContext(3))
                .stripTrailingZeros().toPlainString();
    }

    static double median(List<JsonNode> runs, ToDoubleFunction<JsonNode> f) {
        double[] v = runs.stream().mapToDouble(f).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double min(List<JsonNode> runs, ToDoubleFunction<JsonNode> f) {
        return runs.stream().mapToDouble(f).min().orElse(Double.NaN);
    }

    private static double max(List<JsonNode> runs, ToDoubleFunction<JsonNode> f) {
        return runs.stream().mapToDouble(f).max().orElse(Double.NaN);
    }

    /**
     * Messages per second the subscribers received while the publisher sent (lean receivers report it),
     * else the measured messages delivered per second. The first is what a saturated server sustains.
     */
    static double throughput(JsonNode r) {
        return r.has("receivedPerSecond") ? r.path("receivedPerSecond").asDouble() : r.path("deliveredPerSecond").asDouble();
    }

    /**
     * Server CPU per message the subscribers received: CPU over the accounted window divided by the
     * messages received in it, at the received rate. Dividing by the measured messages delivered instead
     * would charge a saturated server for the backlog it was still working through.
     */
    static double serverCpuMicrosPerDelivery(JsonNode r) {
        double received = throughput(r) * r.path("cpuWindowSeconds").asDouble();
        return received > 0 ? r.path("serverCpuSeconds").asDouble() * 1e6 / received
                : r.path("serverCpuMicrosPerDelivery").asDouble();
    }

    /**
     * The line naming the targets a run skipped, each with why and what to install; empty when none was.
     * A peer whose runtime is missing is reported, not failed: the rest of the run still compares.
     */
    static String skippedNote(Map<Harness.Target, String> skipped) {
        StringBuilder note = new StringBuilder();
        skipped.forEach((t, why) -> note.append("\nSkipped `").append(t.label()).append("`: ").append(why).append(".\n"));
        return note.toString();
    }

    /** A run's latency percentile ({@code p50}, {@code p99}...) in µs. */
    private static double latency(JsonNode r, String percentile) {
        return r.path("latencyMicros").path(percentile).asDouble();
    }

    /** The line saying which {@code --server-set} settings Switchboard ran with; empty without any. */
    static String serverSettingsNote(List<String> settings) {
        return settings.isEmpty() ? "" : "\nSwitchboard ran with `--set " + String.join(" --set ", settings) + "`.\n";
    }

    /**
     * The machine the runs are from, for the report: CPU model and count from {@code cpuinfo}, the kernel
     * release, the Java runtime. Hosts of one kind can differ severalfold in loopback TCP cost, so a
     * result means little without it. Parts that cannot be read are left out.
     */
    static String machineNote(Path cpuinfo, Path osrelease, String javaVersion) {
        String model = null;
        // A VM's model name is often generic ("Intel(R) Xeon(R) Processor"); family, model number and clock
        // tell host generations apart.
        Map<String, String> detail = new LinkedHashMap<>();
        detail.put("cpu family", null);
        detail.put("model", null);
        detail.put("cpu MHz", null);
        long cpus = 0;
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                int colon = line.indexOf(':');
                String key = colon < 0 ? "" : line.substring(0, colon).strip();
                String value = colon < 0 ? "" : line.substring(colon + 1).strip();
                if (key.equals("processor")) {
                    cpus++;
                } else if (key.equals("model name") && model == null) {
                    model = value;
                } else if (detail.containsKey(key) && detail.get(key) == null) {
                    detail.put(key, value);
                }
            }
        } catch (IOException unreadable) {
            // not Linux, or no /proc: left out
        }
        String kernel = null;
        try {
            kernel = Files.readString(osrelease).strip();
        } catch (IOException unreadable) {
            // left out
        }
        StringBuilder note = new StringBuilder("\nMachine: ");
        if (model != null) {
            note.append(model);
            List<String> parts = new ArrayList<>();
            detail.forEach((key, value) -> {
                if (value != null) {
                    parts.add(key.equals("cpu MHz") ? value.replaceFirst("\\.0+$", "") + " MHz"
                            : key.replace("cpu ", "") + " " + value);
                }
            });
            note.append(parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")").append(", ");
        }
        if (cpus > 0) {
            note.append(cpus).append(cpus == 1 ? " CPU, " : " CPUs, ");
        }
        if (kernel != null && !kernel.isEmpty()) {
            note.append("kernel ").append(kernel).append(", ");
        }
        return note.append("Java ").append(javaVersion).append(".\n").toString();
    }

    /**
     * Whether the kernel's DAMON memory monitoring ({@code kdamond}) ran, from the states under
     * {@code kdamonds} (the sysfs directory {@code /sys/kernel/mm/damon/admin/kdamonds}): a note for the
     * report when any ran, else empty. On the development VM it raised the fan-out p99 (docs/benchmarks.md).
     */
    static String damonNote(Path kdamonds) {
        try (Stream<Path> dirs = Files.list(kdamonds)) {
            boolean on = dirs.map(d -> d.resolve("state")).filter(Files::isReadable).anyMatch(state -> {
                try {
                    return Files.readString(state).strip().equals("on");
                } catch (IOException e) {
                    return false;
                }
            });
            return on ? "\nThe kernel's DAMON memory monitoring (kdamond) was on during these runs; on the development "
                    + "VM it raised the fan-out p99 (docs/benchmarks.md, \"Whose is the fan-out tail\").\n" : "";
        } catch (IOException | UncheckedIOException noDamon) {
            return "";
        }
    }

    /** Share of the measured messages' deliveries that arrived before the drain ended. */
    private static double deliveredShare(JsonNode r) {
        long expected = r.path("expected").asLong();
        return expected <= 0 ? Double.NaN : r.path("delivered").asLong() / (double) expected;
    }

    static String markdown(Map<String, Map<Harness.Target, List<JsonNode>>> results, int repeats, boolean pinned,
                           String duration) {
        StringBuilder md = new StringBuilder();
        md.append("# Benchmark results\n\n");
        md.append(String.format(Locale.ROOT, "%d run(s) per cell, %s each, %s. Medians, with min–max in brackets. "
                        + "`client-bound` counts runs whose load generator CPU was over %.0f%% busy (invalid).\n\n",
                repeats, duration, pinned ? "server pinned to CPU 0 and load generator to CPU 1"
                        : "NOT pinned (taskset or a second CPU missing)", Harness.CLIENT_BOUND_BUSY * 100));
        md.append("`received/s`: messages the subscribers received per second while the publisher sent (what a saturated "
                + "server sustains); `delivered`: share of the measured messages' deliveries that arrived at all, "
                + "within 5 s of the end of sending; latencies are those of the measured messages; `send lag p99`: how late the "
                + "load generator itself sent them (part of the latency, not the server's; n/a for closed loops); "
                + "`server wait p99`: Switchboard's own `websocket_fanout_batch_wait_seconds` over the measured window, "
                + "the bucket bound at or under which 99% of its flush batches waited from fan-out to socket.\n\n");
        md.append("`ratio to naive`: a WebSocket server's received/s over the naive Netty server's from the same run; "
                + "`vertx` (Vert.x 5) and `node-ws` (Node ws) are peers from other stacks, each a broadcast server "
                + "written as its own docs write one.\n\n");
        md.append("| workload | server | received/s | ratio to naive | delivered | p50 µs | p99 µs | send lag p99 µs "
                + "| server wait p99 ms | server CPU µs/delivery | load-gen CPU | errors | client-bound |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (var e : results.entrySet()) {
            double naive = median(e.getValue().getOrDefault(Harness.Target.NAIVE, List.of()), Report::throughput);
            for (var t : e.getValue().entrySet()) {
                List<JsonNode> runs = t.getValue();
                ToDoubleFunction<JsonNode> rate = Report::throughput;
                double med = median(runs, rate);
                md.append(String.format(Locale.ROOT, "| %s | %s | %,.0f [%,.0f–%,.0f] | %s | %.0f%% | %,.0f | %,.0f | %s | %s | %.2f | %s | %,.0f | %d/%d |\n",
                        e.getKey(), t.getKey().label(), med, min(runs, rate), max(runs, rate),
                        t.getKey() == Harness.Target.NAIVE || t.getKey() == Harness.Target.TCP_FLOOR || !(naive > 0) ? ""
                                : String.format(Locale.ROOT, "%.2f×", med / naive),
                        100 * median(runs, Report::deliveredShare),
                        median(runs, r -> latency(r, "p50")),
                        median(runs, r -> latency(r, "p99")),
                        runs.get(0).has("sendLagMicros") ? String.format(Locale.ROOT, "%,.0f",
                                median(runs, r -> r.path("sendLagMicros").path("p99").asDouble())) : "n/a",
                        runs.stream().allMatch(r -> r.has("serverBatchWait"))
                                ? "≤ " + millis(median(runs, r -> r.path("serverBatchWait").path("p99Millis").asDouble()))
                                : "n/a",
                        median(runs, Report::serverCpuMicrosPerDelivery),
                        runs.get(0).has("cpu1Busy") ? String.format(Locale.ROOT, "%.0f%%",
                                100 * median(runs, r -> r.path("cpu1Busy").asDouble())) : "n/a",
                        median(runs, r -> r.path("errors").asDouble()),
                        runs.stream().filter(r -> r.path("clientBound").asBoolean()).count(), runs.size()));
            }
        }
        echoAgainstFloor(md, results);
        md.append("\nChart: `fanout-rate.svg` (received messages per second against the publish rate).\n");
        return md.toString();
    }

    /** The echo workloads' latency above the raw TCP ping-pong of the same client (the floor). */
    private static void echoAgainstFloor(StringBuilder md, Map<String, Map<Harness.Target, List<JsonNode>>> results) {
        StringBuilder rows = new StringBuilder();
        for (var e : results.entrySet()) {
            List<JsonNode> floor = e.getValue().get(Harness.Target.TCP_FLOOR);
            if (floor == null || floor.isEmpty()) {
                continue;
            }
            double floorP50 = median(floor, r -> latency(r, "p50"));
            double floorRate = median(floor, Report::throughput);
            for (var t : e.getValue().entrySet()) {
                if (t.getKey() == Harness.Target.TCP_FLOOR) {
                    continue;
                }
                double p50 = median(t.getValue(), r -> latency(r, "p50"));
                double rate = median(t.getValue(), Report::throughput);
                rows.append(String.format(Locale.ROOT, "| %s | %s | %,.1f | %,.1f | %+,.1f | %,.0f | %,.0f | %.0f%% |\n",
                        e.getKey(), t.getKey().label(), p50, floorP50, p50 - floorP50,
                        median(t.getValue(), r -> latency(r, "p99")), rate,
                        100 * rate / floorRate));
            }
        }
        if (rows.length() > 0) {
            md.append("\n## Echo against the raw TCP floor\n\n");
            md.append("The same closed-loop client against a Netty TCP echo server (`tcp_floor`): what a WebSocket echo "
                    + "adds above the kernel and the event loops.\n\n");
            md.append("| workload | server | p50 µs | floor p50 µs | above floor | p99 µs | round trips/s | of floor's |\n");
            md.append("|---|---|---|---|---|---|---|---|\n");
            md.append(rows);
        }
    }

    /** Received msg/s (median, see {@link #throughput}) against offered publish rate, one line per server. */
    static String chart(List<Harness.Workload> workloads, Map<String, Map<Harness.Target, List<JsonNode>>> results) {
        List<Harness.Workload> points = new ArrayList<>(workloads.stream().filter(Harness.Workload::chart).toList());
        points.sort(Comparator.comparingInt(Harness.Workload::rate));
        int w = 640;
        int h = 400;
        int left = 80;
        int bottom = 50;
        double maxX = points.stream().mapToDouble(Harness.Workload::rate).max().orElse(1);
        double maxY = 1;
        for (var p : points) {
            for (var runs : results.getOrDefault(p.name(), Map.of()).values()) {
                maxY = Math.max(maxY, median(runs, Report::throughput));
            }
        }
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", w, h));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"14\">Fan-out: received msg/s vs publish rate"
                + "%s</text>\n", left, points.isEmpty() ? "" : " (" + points.get(0).connections() + " subscribers, 1 room)"));
        int plotW = w - left - 20;
        int plotH = h - bottom - 40;
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n",
                left, 40 + plotH, left + plotW, 40 + plotH));
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"40\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n",
                left, left, 40 + plotH));
        for (int i = 0; i <= 4; i++) {
            double y = maxY * i / 4;
            int py = 40 + plotH - (int) (plotH * i / 4.0);
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%,.0f</text>\n",
                    left - 6, py + 4, y));
        }
        for (var p : points) {
            int px = left + (int) (plotW * p.rate() / maxX);
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%d</text>\n",
                    px, 40 + plotH + 16, p.rate()));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">publish rate (msg/s)</text>\n",
                left + plotW / 2, h - 10));
        Map<Harness.Target, String> colors = new LinkedHashMap<>();
        colors.put(Harness.Target.SWITCHBOARD, "#1f77b4");
        colors.put(Harness.Target.NAIVE, "#d62728");
        colors.put(Harness.Target.VERTX, "#9467bd");
        colors.put(Harness.Target.NODE_WS, "#2ca02c");
        int series = 0;
        for (Harness.Target t : colors.keySet()) {
            if (points.stream().noneMatch(p -> results.getOrDefault(p.name(), Map.of()).containsKey(t))) {
                continue; // not run, or skipped: no empty legend entry
            }
            StringBuilder path = new StringBuilder();
            for (var p : points) {
                List<JsonNode> runs = results.getOrDefault(p.name(), Map.of()).get(t);
                if (runs == null || runs.isEmpty()) {
                    continue;
                }
                double y = median(runs, Report::throughput);
                int px = left + (int) (plotW * p.rate() / maxX);
                int py = 40 + plotH - (int) (plotH * y / maxY);
                path.append(path.length() == 0 ? "M" : " L").append(px).append(' ').append(py);
                svg.append(String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"%s\"/>\n",
                        px, py, colors.get(t)));
            }
            svg.append(String.format(Locale.ROOT, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n",
                    path, colors.get(t)));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>\n", left + 10,
                    60 + 16 * series, colors.get(t), legend(t)));
            series++;
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static String legend(Harness.Target t) {
        return switch (t) {
            case SWITCHBOARD -> "Switchboard";
            case NAIVE -> "naive Netty ChannelGroup";
            case VERTX -> "Vert.x 5";
            case NODE_WS -> "Node ws";
            case TCP_FLOOR -> "raw TCP echo";
        };
    }
}
