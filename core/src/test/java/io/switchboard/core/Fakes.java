package io.switchboard.core;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.protocol.CloseCode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
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

    /**
     * A Netty-like event loop driven by the test: {@code execute} queues a task, and a task scheduled with
     * no delay waits for the next {@link #poll}, the point where a real loop polls its sockets, as Netty
     * takes scheduled tasks only at the start of a task pass. Other scheduling is unsupported.
     */
    static final class ManualEventLoop extends AbstractExecutorService implements ScheduledExecutorService {
        final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
        final ArrayDeque<Runnable> scheduled = new ArrayDeque<>();

        @Override
        public void execute(Runnable command) {
            tasks.add(command);
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            if (delay > 0) {
                throw new UnsupportedOperationException("only tasks scheduled with no delay");
            }
            Scheduled task = new Scheduled(command);
            scheduled.add(task);
            return task;
        }

        /** Runs queued tasks, including those they queue, but not scheduled ones. */
        void runTasks() {
            Runnable r;
            while ((r = tasks.poll()) != null) {
                r.run();
            }
        }

        /** After a poll of the sockets: scheduled tasks join the queue's tail, then everything runs. */
        void poll() {
            tasks.addAll(scheduled);
            scheduled.clear();
            runTasks();
        }

        boolean idle() {
            return tasks.isEmpty() && scheduled.isEmpty();
        }

        private static final class Scheduled extends FutureTask<Void> implements ScheduledFuture<Void> {
            Scheduled(Runnable command) {
                super(command, null);
            }

            @Override
            public long getDelay(TimeUnit unit) {
                return 0;
            }

            @Override
            public int compareTo(Delayed other) {
                return Long.compare(0, other.getDelay(TimeUnit.NANOSECONDS));
            }
        }

        @Override
        public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay,
                                                         TimeUnit unit) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void shutdown() {
        }

        @Override
        public List<Runnable> shutdownNow() {
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return false;
        }

        @Override
        public boolean isTerminated() {
            return false;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return true;
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
        long backloggedSince;

        @Override
        public String remoteAddress() {
            return "127.0.0.1:1";
        }

        @Override
        public boolean write(OutboundFrame frame) {
            if (refuseWrites || closedWith != null) {
                return false;
            }
            unflushed.add(parse(((TextFrame) frame).utf8));
            return true;
        }

        @Override
        public void flush() {
            flushes++;
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
        public long backloggedSinceNanos() {
            return backloggedSince;
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
    static final class ManualTime implements TimeSource {
        long nanos = 1_000_000_000L;
        long millis = 1_700_000_000_000L;

        void advanceMillis(long ms) {
            nanos += ms * 1_000_000L;
            millis += ms;
        }

        @Override
        public long nanoTime() {
            return nanos;
        }

        @Override
        public long currentTimeMillis() {
            return millis;
        }
    }
}
