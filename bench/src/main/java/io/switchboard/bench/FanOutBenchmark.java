package io.switchboard.bench;

import io.switchboard.core.HubException;
import io.switchboard.core.TimeSource;
import io.switchboard.core.config.CoreConfig;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.core.hub.Connection;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.hub.JoinCallback;
import io.switchboard.core.hub.JoinResult;
import io.switchboard.core.transport.FrameFactory;
import io.switchboard.core.transport.OutboundFrame;
import io.switchboard.core.transport.Session;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.JsonCodec;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The hub's fan-out without sockets: one publish to a room of {@link #MEMBERS} members on one shard, whose
 * executor runs tasks inline. Reported per delivery, so the score is the hub's CPU cost of handing one
 * message to one member (history append, encode and frame amortised over the room).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FanOutBenchmark {
    /** Room size; {@link OperationsPerInvocation} below must match it. */
    static final int MEMBERS = 1000;

    private Hub hub;
    private Connection publisher;

    /** A frame that only counts references, like the server's pre-encoded buffer without the buffer. */
    /** A frame without a buffer behind it; shared with {@link MetricsOverheadBenchmark}. */
    static final class Frame implements OutboundFrame {
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

    /** A session that accepts every write, as a socket with room in its buffer does. */
    /** A session that only counts; shared with {@link MetricsOverheadBenchmark}. */
    static final class CountingSession implements Session {
        long writes;

        @Override
        public String remoteAddress() {
            return "127.0.0.1:0";
        }

        @Override
        public boolean write(OutboundFrame frame) {
            writes++;
            return true;
        }

        @Override
        public void flush() {
        }

        @Override
        public void sendText(byte[] utf8) {
        }

        @Override
        public void ping() {
        }

        @Override
        public void close(CloseCode code, String reason) {
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws HubException {
        CoreConfig config = CoreConfig.defaults();
        FrameFactory frames = utf8 -> new Frame(utf8.length);
        hub = new Hub(config, new MemoryHistoryStore(100, config.history().ttl(), TimeSource.SYSTEM), frames,
                new JsonCodec(), TimeSource.SYSTEM, "bench", "bench");
        Executor inline = Runnable::run;
        var shard = hub.shard(inline);
        publisher = hub.register(new CountingSession(), "publisher", shard);
        join(publisher);
        for (int i = 0; i < MEMBERS; i++) {
            join(hub.register(new CountingSession(), "u" + i, shard));
        }
    }

    /** Joins "room"; the in-memory stores answer before join returns. */
    private void join(Connection c) throws HubException {
        hub.join(c, "room", null, new JoinCallback() {
            @Override
            public void joined(JoinResult result) {
            }

            @Override
            public void failed(HubException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Benchmark
    @OperationsPerInvocation(MEMBERS)
    public long publishToRoomPerDelivery() throws HubException {
        return hub.publish(publisher, "room", "0123456789012345678901234567890123456789012345678901234567890123456789",
                null, false).toCompletableFuture().join();
    }
}
