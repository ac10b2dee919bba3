package io.switchboard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness end to end in smoke mode: both servers and the TCP floor, the bench, the reports. */
class HarnessSmokeIT {

    @Test
    void smokeRunMeasuresBothServersAndWritesTheReports(@TempDir Path out) throws Exception {
        Path root = Path.of(System.getProperty("switchboard.root", "..")).toAbsolutePath().normalize();
        Harness harness = new Harness(root, out, 1, "2s", "1s", Harness.smokeSuite());
        assertThat(harness.run()).as("every run produced a result").isZero();

        JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        for (String workload : new String[] {"fanout-50@50", "echo-1"}) {
            for (String target : new String[] {"SWITCHBOARD", "NAIVE"}) {
                JsonNode run = results.path(workload).path(target).path(0);
                assertThat(run.path("delivered").asLong()).as("%s on %s delivered", workload, target).isPositive();
                assertThat(run.path("delivered").asLong()).isEqualTo(run.path("expected").asLong());
                assertThat(run.path("latencyMicros").path("p50").asDouble()).isPositive();
                assertThat(run.path("cpuWindowSeconds").asDouble()).as("CPU accounted over the measured window")
                        .isBetween(1.5, 8.0);
            }
        }
        for (String target : new String[] {"SWITCHBOARD", "NAIVE"}) {
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
                "| fanout-50@50 | naive |", "| ≤ ", "## Echo against the raw TCP floor", "| echo-1 | switchboard |");
        assertThat(Files.readString(out.resolve("fanout-rate.svg"))).startsWith("<svg").contains("Switchboard");
    }
}
