package io.switchboard.server;

import io.switchboard.server.observability.MicrometerHubMetrics;
import io.switchboard.core.CommandHandler;
import io.switchboard.core.Connection;
import io.switchboard.core.FrameFactory;
import io.switchboard.core.Hub;
import io.switchboard.core.OutboundFrame;
import io.switchboard.core.Session;
import io.switchboard.core.Shard;
import io.switchboard.core.TimeSource;
import io.switchboard.core.config.SwitchboardConfig;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.JsonCodec;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * The message path with metrics on (Micrometer/Prometheus) against metrics off ({@link HubMetrics#NOOP}):
 * one publisher's {@code room_message} decoded, published to a room of {@code members} connections on
 * one shard, and fanned out, all on one thread with transport stubs, so what differs is the recording.
 * Also reports heap bytes allocated per message. Not a test; run it with
 * {@code java -cp <server test classpath> io.switchboard.server.MetricsOverheadBench [members] [rounds]}.
 */
public final class MetricsOverheadBench {
    private MetricsOverheadBench() {
    }

    /** Runs queued tasks when told, like one event loop. */
    private static final class Loop implements Executor {
        final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable r) {
            tasks.add(r);
        }

        void runAll() {
            Runnable r;
            while ((r = tasks.poll()) != null) {
                r.run();
            }
        }
    }

    private static final class NullSession implements Session {
        long written;

        @Override
        public String remoteAddress() {
            return "127.0.0.1:1";
        }

        @Override
        public boolean write(OutboundFrame frame) {
            written += frame.size();
            return true;
        }

        @Override
        public void flush() {
        }

        @Override
        public void sendText(byte[] utf8) {
            written += utf8.length;
        }

        @Override
        public void ping() {
        }

        @Override
        public void close(CloseCode code, String reason) {
        }
    }

    private static final class Frame implements OutboundFrame {
        private final int size;

        Frame(int size) {
            this.size = size;
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public OutboundFrame retain() {
            return this;
        }

        @Override
        public void release() {
        }
    }

    private record Setup(Loop loop, CommandHandler commands, Connection publisher, byte[] message) {
    }

    private static Setup setup(HubMetrics metrics, int members) {
        SwitchboardConfig config = SwitchboardConfig.defaults();
        FrameFactory frames = utf8 -> new Frame(utf8.length);
        Hub hub = new Hub(config, new MemoryHistoryStore(100, config.history().ttl(), TimeSource.SYSTEM), frames,
                new JsonCodec(), TimeSource.SYSTEM, "bench", "bench", metrics);
        Loop loop = new Loop();
        Shard shard = hub.shard(loop);
        CommandHandler commands = new CommandHandler(hub);
        List<Connection> all = new ArrayList<>();
        for (int i = 0; i < members; i++) {
            Connection c = hub.register(new NullSession(), "u" + i, shard);
            commands.handleText(c, bytes("{\"type\":\"join_room\",\"room\":\"r\"}"), 0,
                    bytes("{\"type\":\"join_room\",\"room\":\"r\"}").length);
            all.add(c);
        }
        loop.runAll();
        byte[] message = bytes("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"" + "x".repeat(100) + "\"}");
        return new Setup(loop, commands, all.get(0), message);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Messages per second over {@code millis}. */
    private static double run(Setup s, long millis) {
        long end = System.nanoTime() + millis * 1_000_000;
        long n = 0;
        long start = System.nanoTime();
        while (System.nanoTime() < end) {
            for (int i = 0; i < 100; i++) {
                s.commands().handleText(s.publisher(), s.message(), 0, s.message().length);
                s.loop().runAll();
            }
            n += 100;
        }
        return n * 1e9 / (System.nanoTime() - start);
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    private static double bytesPerMessage(Setup s, int n) {
        long before = allocatedBytes();
        for (int i = 0; i < n; i++) {
            s.commands().handleText(s.publisher(), s.message(), 0, s.message().length);
            s.loop().runAll();
        }
        return (allocatedBytes() - before) / (double) n;
    }

    /** Heap bytes allocated by recording alone: the Micrometer calls of one fanned-out message. */
    private static double recordingBytes(MicrometerHubMetrics m, int n) {
        long before = allocatedBytes();
        for (int i = 0; i < n; i++) {
            m.messageReceived(HubMetrics.FrameType.TEXT, 150);
            m.messagesSent(HubMetrics.FrameType.TEXT, 100, 200);
            m.commandProcessed(null, "room_message", 0, 12_345, null);
            m.commandFailed("not_in_room");
        }
        return (allocatedBytes() - before) / (double) n;
    }

    /** Nanoseconds per call of each recording method, single-threaded. */
    private static void recordingCost(MicrometerHubMetrics m) {
        int n = 5_000_000;
        for (int round = 0; round < 2; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                m.messageReceived(HubMetrics.FrameType.TEXT, 150 + (i & 63));
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                m.messagesSent(HubMetrics.FrameType.TEXT, 1, 200 + (i & 63));
            }
            long t2 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                m.commandProcessed(null, "room_message", 0, 12_345 + (i & 1023), null);
            }
            long t3 = System.nanoTime();
            if (round == 1) {
                System.out.printf("ns per call: messageReceived %.1f, messagesSent %.1f, commandProcessed %.1f%n",
                        (t1 - t0) / (double) n, (t2 - t1) / (double) n, (t3 - t2) / (double) n);
            }
        }
    }

    public static void main(String[] args) {
        if (args.length > 2 && args[2].equals("recording")) {
            MicrometerHubMetrics m = new MicrometerHubMetrics();
            recordingCost(m);
            m.close();
            return;
        }
        int members = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 41;
        MicrometerHubMetrics micrometer = new MicrometerHubMetrics();
        Setup off = setup(HubMetrics.NOOP, members);
        Setup on = setup(micrometer, members);
        for (int i = 0; i < 3; i++) {
            run(off, 1000);
            run(on, 1000);
        }
        // The machines are shared: load drifts over seconds. Short paired rounds, alternating which side goes
        // first, and the median of the per-pair ratios cancel most of the drift.
        double[] offRates = new double[rounds];
        double[] onRates = new double[rounds];
        double[] ratios = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            if (i % 2 == 0) {
                offRates[i] = run(off, 300);
                onRates[i] = run(on, 300);
            } else {
                onRates[i] = run(on, 300);
                offRates[i] = run(off, 300);
            }
            ratios[i] = onRates[i] / offRates[i];
        }
        Arrays.sort(offRates);
        Arrays.sort(onRates);
        Arrays.sort(ratios);
        System.out.printf("room of %d members, %d pairs of 300 ms rounds, alternating order%n", members, rounds);
        System.out.printf("metrics off: median %.0f msgs/s (%.0f deliveries/s)%n", offRates[rounds / 2],
                offRates[rounds / 2] * (members - 1));
        System.out.printf("metrics on:  median %.0f msgs/s (%.0f deliveries/s)%n", onRates[rounds / 2],
                onRates[rounds / 2] * (members - 1));
        System.out.printf("on/off per pair: median %.1f%%, quartiles %.1f%% .. %.1f%%%n", 100 * ratios[rounds / 2],
                100 * ratios[rounds / 4], 100 * ratios[3 * rounds / 4]);
        System.out.printf("heap allocated per message: off %.0f B, on %.0f B; by recording alone %.2f B%n",
                bytesPerMessage(off, 100_000), bytesPerMessage(on, 100_000), recordingBytes(micrometer, 1_000_000));
        micrometer.close();
    }

    }
