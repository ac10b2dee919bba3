package io.switchboard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness end to end in smoke mode: Switchboard, the naive server, the peers from other stacks and
 * the TCP floor, the bench, the reports. Without Node the {@code node-ws} peer is skipped, except with
 * {@code CI} set, where it must run.
 */
class HarnessSmokeIT {
    private static final Path ROOT = Path.of(System.getProperty("switchboard.root", "..")).toAbsolutePath().normalize();

    @Test
    void smokeRunMeasuresEveryServerAndWritesTheReports(@TempDir Path out) throws Exception {
        Harness harness = Harness.smoke(ROOT, out);
        assertThat(harness.run()).as("every run produced a result").isZero();

        List<String> servers = new ArrayList<>(List.of("SWITCHBOARD", "NAIVE", "VERTX", "NODE_WS"));
        if (System.getenv("CI") == null && harness.skipped().containsKey(Harness.Target.NODE_WS)) {
            servers.remove("NODE_WS"); // no Node here: reported as skipped (see the test below)
        }
        assertThat(harness.skipped()).as("nothing skipped that was expected to run").doesNotContainKeys(
                servers.stream().map(Harness.Target::parse).toArray(Harness.Target[]::new));
        JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        for (String workload : new String[] {"fanout-50@50", "echo-1"}) {
            for (String target : servers) {
                JsonNode run = results.path(workload).path(target).path(0);
                assertThat(run.path("delivered").asLong()).as("%s on %s delivered", workload, target).isPositive();
                assertThat(run.path("delivered").asLong()).isEqualTo(run.path("expected").asLong());
                assertThat(run.path("latencyMicros").path("p50").asDouble()).isPositive();
                assertThat(run.path("cpuWindowSeconds").asDouble()).as("CPU accounted over the measured window")
                        .isBetween(1.5, 8.0);
            }
        }
        for (String target : servers) {
            // 50 subscribers x 50 msg/s, received while sending: about 2,500/s.
            JsonNode fanout = results.path("fanout-50@50").path(target).path(0);
            assertThat(fanout.has("receivedPerSecond")).isTrue();
            assertThat(Report.throughput(fanout)).as("%s received/s", target).isBetween(2000.0, 3000.0);
        }
        // Switchboard's own share of the fan-out latency, from its metrics over the measured window: 50
        // publishes a second, each its own flush batch of 50 sockets, none of them waiting anywhere near 1 s.
        JsonNode wait = results.path("fanout-50@50").path("SWITCHBOARD").path(0).path("serverBatchWait");
        assertThat(wait.path("batches").asLong()).as("flush batches in the window").isBetween(20L, 150L);
        assertThat(wait.path("p99Millis").asDouble()).isPositive().isLessThan(1000.0);
        assertThat(results.path("fanout-50@50").path("NAIVE").path(0).has("serverBatchWait")).isFalse();
        // The echo's floor: the same closed-loop client over raw TCP, faster than either WebSocket server.
        JsonNode floor = results.path("echo-1").path("TCP_FLOOR").path(0);
        assertThat(floor.path("loop").asText()).isEqualTo("closed");
        assertThat(floor.path("delivered").asLong()).isPositive().isEqualTo(floor.path("expected").asLong());
        assertThat(results.path("fanout-50@50").has("TCP_FLOOR")).as("the floor runs echo workloads only").isFalse();
        assertThat(Files.readString(out.resolve("results.md"))).contains("| fanout-50@50 | switchboard |",
                "| fanout-50@50 | naive |", "| fanout-50@50 | vertx |", "| ≤ ", "## Echo against the raw TCP floor",
                "| echo-1 | switchboard |", "| echo-1 | vertx |");
        assertThat(Files.readString(out.resolve("fanout-rate.svg"))).startsWith("<svg").contains("Switchboard",
                "naive Netty ChannelGroup", "Vert.x 5");
        if (servers.contains("NODE_WS")) {
            assertThat(Files.readString(out.resolve("results.md"))).contains("| fanout-50@50 | node-ws |",
                    "| echo-1 | node-ws |");
            assertThat(Files.readString(out.resolve("fanout-rate.svg"))).contains("Node ws");
        }
    }

    @Test
    void aPeerWhoseRuntimeIsMissingIsSkippedWithAnInstallHintNotFailed(@TempDir Path out) throws Exception {
        Harness harness = Harness.smoke(ROOT, out);
        harness.targets(List.of(Harness.Target.NODE_WS));
        harness.peers(new PeerServers(ROOT, out.resolve("no-tools-here").toString()));
        assertThat(harness.run()).as("a skipped peer is not a failure").isZero();

        assertThat(harness.skipped()).containsOnlyKeys(Harness.Target.NODE_WS);
        assertThat(Files.readString(out.resolve("results.md")))
                .contains("Skipped `node-ws`: node or npm not on the PATH: install Node.js 20+ with npm");
        assertThat(new ObjectMapper().readTree(out.resolve("results.json").toFile()).isEmpty()).isTrue();
    }
}
