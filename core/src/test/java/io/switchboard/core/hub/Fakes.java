package io.switchboard.core.hub;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.core.TimeSource;
import io.switchboard.core.transport.FrameFactory;
import io.switchboard.core.transport.OutboundFrame;
import io.switchboard.core.transport.Session;
import io.switchboard.protocol.CloseCode;
import io.switchboard.testkit.ManualClock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/** Deterministic stand-ins for the transport: manual executors, recording sessions, counted frames. */
final class Fakes {
    static final ObjectMapper JSON = new ObjectMapper();

    private Fakes() {
    }

    /** An executor that queues tasks until the test runs them: the test decides the interleaving. */
    static final class ManualExecutor implements Executor {
        final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable command) {
            tasks.add(command);
        }

        /** Runs queued tasks, including those they queue, until none is left. */
        void runAll() {
            Runnable r;
            while ((r = tasks.poll()) != null) {
                r.run();
            }
        }
    }

    /** Frames that count their references, so tests prove every frame is released. */
    static final class CountingFrames implements FrameFactory {
        final AtomicInteger live = new AtomicInteger();

        @Override
        public OutboundFrame text(byte[] utf8) {
            live.incrementAndGet();
            return new TextFrame(utf8, this);
        }
    }

    static final class TextFrame implements OutboundFrame {
        final byte[] utf8;
        private final CountingFrames owner;
        private final AtomicInteger refs = new AtomicInteger(1);

        TextFrame(byte[] utf8, CountingFrames owner) {
            this.utf8 = utf8;
            this.owner = owner;
        }

        @Override
        public int size() {
            return utf8.length;
        }

        @Override
        public OutboundFrame retain() {
            if (refs.getAndIncrement() <= 0) {
                throw new IllegalStateException("retain after release");
            }
            return this;
        }

        @Override
        public void release() {
            int left = refs.decrementAndGet();
            if (left < 0) {
                throw new IllegalStateException("released too often");
            }
            if (left == 0) {
                owner.live.decrementAndGet();
            }
        }
    }

    /** Records what the hub writes, in order, as parsed JSON; counts flushes. */
    static final class RecordingSession implements Session {
        final List<JsonNode> received = new ArrayList<>();
        final List<JsonNode> unflushed = new ArrayList<>();
        int flushes;
        int pings;
        CloseCode closedWith;
        boolean refuseWrites;
        /** Thrown by write or flush when set: a session with a bug. */
        RuntimeException throwOnWrite;
        RuntimeException throwOnFlush;
        /** Run in each flush: what a flush costs, for tests on manual time. */
        Runnable duringFlush;

        @Override
        public String remoteAddress() {
            return "127.0.0.1:1";
        }

        @Override
        public boolean write(OutboundFrame frame) {
            if (throwOnWrite != null) {
                throw throwOnWrite;
            }
            if (refuseWrites || closedWith != null) {
                return false;
            }
            unflushed.add(parse(((TextFrame) frame).utf8));
            return true;
        }

        @Override
        public void flush() {
            if (throwOnFlush != null) {
                throw throwOnFlush;
            }
            flushes++;
            if (duringFlush != null) {
                duringFlush.run();
            }
            received.addAll(unflushed);
            unflushed.clear();
        }

        @Override
        public void sendText(byte[] utf8) {
            received.add(parse(utf8));
        }

        @Override
        public void ping() {
            pings++;
        }

        @Override
        public void close(CloseCode code, String reason) {
            if (closedWith == null) {
                closedWith = code;
            }
        }

        List<JsonNode> ofType(String type) {
            return received.stream().filter(m -> m.path("type").asText().equals(type)).toList();
        }

        private static JsonNode parse(byte[] utf8) {
            try {
                return JSON.readTree(new String(utf8, UTF_8));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }

    /** Time that moves only when the test says so. */
    /** The testkit's manual clock as the hub's {@link TimeSource}: one clock for the hub and its loops. */
    static final class ManualTime implements TimeSource {
        final ManualClock clock = new ManualClock();

        void advanceMillis(long ms) {
            clock.advance(Duration.ofMillis(ms));
        }

        @Override
        public long nanoTime() {
            return clock.nanoTime();
        }

        @Override
        public long currentTimeMillis() {
            return clock.currentTimeMillis();
        }
    }
}
