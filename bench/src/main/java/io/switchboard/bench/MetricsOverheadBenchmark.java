package io.switchboard.bench;

import io.switchboard.core.TimeSource;
import io.switchboard.core.command.CommandHandler;
import io.switchboard.core.config.CoreConfig;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.core.hub.Connection;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.hub.Shard;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.core.transport.FrameFactory;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.server.observability.MicrometerHubMetrics;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The message path with metrics on ({@link MicrometerHubMetrics}) and off ({@link HubMetrics#NOOP}): one
 * {@code room_message} text decoded by the command handler, published to a room of {@link #members}
 * connections on one shard that runs tasks inline, and written to each member's (stub) session. Each
 * setting runs in JVMs of its own, as a server runs with one of the two, so the JIT sees only one
 * implementation of the metrics interface. Score: nanoseconds per published message.
 *
 * <p>{@code java -jar bench/target/benchmarks.jar MetricsOverheadBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 6, time = 1)
@Fork(3)
public class MetricsOverheadBenchmark {
    @Param({"off", "on"})
    public String metrics;

    @Param({"2", "100"})
    public int members;

    private CommandHandler commands;
    private Connection publisher;
    private MicrometerHubMetrics micrometer;
    private final byte[] message = ("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"" + "x".repeat(100) + "\"}")
            .getBytes(StandardCharsets.UTF_8);

    @Setup(Level.Trial)
    public void setUp() {
        CoreConfig config = CoreConfig.defaults();
        HubMetrics recording = HubMetrics.NOOP;
        if (metrics.equals("on")) {
            micrometer = new MicrometerHubMetrics();
            recording = micrometer;
        }
        FrameFactory frames = utf8 -> new FanOutBenchmark.Frame(utf8.length);
        Hub hub = new Hub(config, new MemoryHistoryStore(100, config.history().ttl(), TimeSource.SYSTEM), frames,
                new JsonCodec(), TimeSource.SYSTEM, "bench", "bench", recording);
        Shard shard = hub.shard(Runnable::run);
        commands = new CommandHandler(hub);
        byte[] join = "{\"type\":\"join_room\",\"room\":\"r\"}".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < members; i++) {
            Connection c = hub.register(new FanOutBenchmark.CountingSession(), "u" + i, shard);
            commands.handleText(c, join, 0, join.length);
            if (i == 0) {
                publisher = c;
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (micrometer != null) {
            micrometer.close();
        }
    }

    @Benchmark
    public void publishOneMessage() {
        commands.handleText(publisher, message, 0, message.length);
    }
}
