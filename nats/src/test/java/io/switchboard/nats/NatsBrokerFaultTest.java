package io.switchboard.nats;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.core.broker.Broker;
import io.switchboard.testkit.NatsServerProcess;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the NATS broker does when the server misbehaves: killed and restarted, down, frozen by SIGSTOP,
 * not up yet at start. Each test gets its own nats-server; every wait is bounded.
 */
class NatsBrokerFaultTest {
    private static final Logger log = LoggerFactory.getLogger(NatsBrokerFaultTest.class);
    private static final Duration WAIT = Duration.ofSeconds(15);
    /** Publishing must never make the caller wait; this is generous for a loaded 2-core machine. */
    private static final long FAST_MILLIS = 200;

    private NatsServerProcess server;
    private final List<Broker> brokers = new ArrayList<>();

    @BeforeEach
    void startServer() {
        server = NatsServerProcess.started();
    }

    @AfterEach
    void stopEverything() {
        brokers.forEach(Broker::close);
        if (server != null) {
            server.close();
        }
        assertThat(NatsServerProcess.running()).as("nats-server processes left behind").isZero();
    }

    @Test
    void afterAKillAndRestartTheBrokerReportsReconnectedAndTheSameSubscriptionsReceiveAgain() throws Exception {
        Recorder inA = new Recorder();
        Recorder inB = new Recorder();
        Broker a = started(settings(), inA);
        Broker b = started(settings(), inB);
        await(b.subscribe("room.one"));
        await(b.subscribe("room.two"));
        await(a.publish("room.one", bytes("before")));
        assertThat(inB.next().text()).isEqualTo("before");

        server.kill9();
        awaitTrue(() -> !a.isConnected() && !b.isConnected(), "both brokers notice the server is gone");
        server.restart();
        awaitTrue(() -> inA.reconnects.get() == 1 && inB.reconnects.get() == 1, "both brokers report onReconnected");
        assertThat(a.isConnected()).isTrue();
        assertThat(b.isConnected()).isTrue();

        await(a.publish("room.one", bytes("after 1")));
        await(a.publish("room.two", bytes("after 2")));
        assertThat(inB.next()).isEqualTo(new Got("room.one", "after 1"));
        assertThat(inB.next()).isEqualTo(new Got("room.two", "after 2"));
        assertThat(inA.overlaps.get()).as("callbacks overlapping").isZero();
        assertThat(inB.overlaps.get()).as("callbacks overlapping").isZero();
    }

    @Test
    void survivesRepeatedKillsAndRestarts() throws Exception {
        Recorder inA = new Recorder();
        Recorder inB = new Recorder();
        Broker a = started(settings(), inA);
        Broker b = started(settings(), inB);
        await(b.subscribe("room.cycle"));
        for (int cycle = 1; cycle <= 5; cycle++) {
            server.kill9();
            awaitTrue(() -> !a.isConnected() && !b.isConnected(), "both brokers notice the server is gone");
            server.restart();
            int expected = cycle;
            awaitTrue(() -> inA.reconnects.get() == expected && inB.reconnects.get() == expected,
                    "both brokers report onReconnected once per restart");
            await(a.publish("room.cycle", bytes("cycle " + cycle)));
            assertThat(inB.next()).isEqualTo(new Got("room.cycle", "cycle " + cycle));
        }
    }

    @Test
    void publishingWhileTheServerIsDownFailsAtOnceAndSubscribingIsRestoredLater() throws Exception {
        Recorder inA = new Recorder();
        Recorder inB = new Recorder();
        Broker a = started(settings(), inA);
        Broker b = started(settings(), inB);
        server.kill9();
        awaitTrue(() -> !a.isConnected() && !b.isConnected(), "both brokers notice the server is gone");

        for (int i = 0; i < 1000; i++) {
            long t0 = System.nanoTime();
            CompletableFuture<Void> f = a.publish("room.down", bytes("lost " + i)).toCompletableFuture();
            long micros = (System.nanoTime() - t0) / 1000;
            assertThat(f).as("publish %d while down", i).isCompletedExceptionally();
            assertThat(micros).as("publish %d took", i).isLessThan(FAST_MILLIS * 1000);
            if (i == 0) {
                assertThat(failure(f)).hasMessageContaining("NATS not connected (nats 127.0.0.1:" + server.port() + ")");
            }
        }
        // Recorded now, sent by jnats on reconnect.
        assertThat(b.subscribe("room.down").toCompletableFuture()).isCompleted();

        server.restart();
        awaitTrue(() -> inA.reconnects.get() == 1 && inB.reconnects.get() == 1, "both brokers report onReconnected");
        await(a.publish("room.down", bytes("back")));
        assertThat(inB.next()).isEqualTo(new Got("room.down", "back"));
        assertThat(inB.poll(Duration.ofMillis(200))).as("nothing published while down arrives").isNull();
    }

    @Test
    void aStalledServerIsDetectedByPingsWhilePublishesStayBoundedAndTrafficResumesAfterSigcont() throws Exception {
        int maxPending = 100;
        NatsSettings stallSettings = settings().toBuilder().keepAliveInterval(Duration.ofMillis(200))
                .maxPendingMessages(maxPending).build();
        Recorder inA = new Recorder();
        Recorder inB = new Recorder();
        Broker a = started(stallSettings, inA);
        Broker b = started(stallSettings, inB);
        await(b.subscribe("room.stall"));
        await(a.publish("room.stall", bytes("before")));
        assertThat(inB.next().text()).isEqualTo("before");

        server.stop();
        long stoppedAt = System.nanoTime();
        // Publish 64 KiB messages until one fails: the socket buffers fill, then the bounded outgoing buffer.
        byte[] big = new byte[64 * 1024];
        int accepted = 0;
        String firstFailure = null;
        long slowestMicros = 0;
        for (int i = 0; i < 5000 && firstFailure == null; i++) {
            long t0 = System.nanoTime();
            CompletableFuture<Void> f = a.publish("room.stall", big).toCompletableFuture();
            slowestMicros = Math.max(slowestMicros, (System.nanoTime() - t0) / 1000);
            if (f.isCompletedExceptionally()) {
                firstFailure = failure(f).getMessage();
            } else {
                assertThat(f).isCompleted();
                accepted++;
            }
        }
        log.info("SIGSTOP: {} x 64 KiB publishes accepted, then failed with: {}; slowest publish call {} us",
                accepted, firstFailure, slowestMicros);
        assertThat(firstFailure).as("a publish fails once the buffers are full").isNotNull();
        assertThat(slowestMicros).as("slowest publish call (us)").isLessThan(FAST_MILLIS * 1000);

        awaitTrue(() -> !a.isConnected() && !b.isConnected(), "pings detect the stalled server");
        long detectedMillis = (System.nanoTime() - stoppedAt) / 1_000_000;
        log.info("SIGSTOP: stall detected by both brokers after {} ms (ping interval 200 ms)", detectedMillis);
        CompletableFuture<Void> whileStalled = a.publish("room.stall", bytes("stalled")).toCompletableFuture();
        assertThat(whileStalled).isCompletedExceptionally();

        server.cont();
        long contAt = System.nanoTime();
        awaitTrue(() -> inA.reconnects.get() >= 1 && inB.reconnects.get() >= 1, "both brokers report onReconnected");
        log.info("SIGCONT: both brokers reconnected after {} ms", (System.nanoTime() - contAt) / 1_000_000);

        await(a.publish("room.stall", bytes("after")));
        // The stalled connections are closed, and their outgoing buffers with them; only bytes already in the
        // server's socket buffer can still be routed when it resumes, so a few stale messages may precede.
        int staleDeliveries = 0;
        Got got;
        while (!(got = inB.next()).text().equals("after")) {
            assertThat(got.payload).hasSize(big.length); // only what was buffered during the stall may precede it
            staleDeliveries++;
        }
        log.info("SIGCONT: {} of the {} messages buffered during the stall were delivered late", staleDeliveries,
                accepted);
        assertThat(staleDeliveries).isLessThanOrEqualTo(accepted);
    }

    @Test
    void aBrokerStartedBeforeTheServerIsUpCompletesStartOnceItIs() throws Exception {
        server.close();
        NatsServerProcess late = NatsServerProcess.notStarted();
        server = late;
        Recorder inA = new Recorder();
        NatsBroker a = new NatsBroker(NatsSettings.defaults(late.url()), Duration.ofSeconds(1));
        brokers.add(a);
        CompletableFuture<Void> start = a.start(inA).toCompletableFuture();
        CompletableFuture<Void> subscribed = a.subscribe("room.late").toCompletableFuture();
        Thread.sleep(500); // a few refused attempts
        assertThat(start).isNotDone();
        assertThat(subscribed).isNotDone();
        assertThat(a.isConnected()).isFalse();
        assertThat(a.publish("room.late", bytes("early")).toCompletableFuture()).isCompletedExceptionally();

        late.start();
        start.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        subscribed.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(a.isConnected()).isTrue();
        assertThat(inA.reconnects.get()).as("the first connection is not a reconnect").isZero();

        Broker b = started(NatsSettings.defaults(late.url()), new Recorder());
        await(b.publish("room.late", bytes("hello")));
        assertThat(inA.next()).isEqualTo(new Got("room.late", "hello"));
    }

    @Test
    void closingABrokerThatIsStillConnectingFailsItsStartAndStopsItsThread() throws Exception {
        server.close();
        NatsServerProcess never = NatsServerProcess.notStarted();
        server = never;
        Set<String> before = brokerThreads();
        NatsBroker a = new NatsBroker(NatsSettings.defaults(never.url()), Duration.ofSeconds(1));
        CompletableFuture<Void> start = a.start(new Recorder()).toCompletableFuture();
        CompletableFuture<Void> subscribed = a.subscribe("room.never").toCompletableFuture();
        Thread.sleep(300);
        a.close();
        assertThat(failure(start)).hasMessageContaining("NATS broker closed");
        assertThat(failure(subscribed)).hasMessageContaining("NATS broker closed");
        assertThat(a.isConnected()).isFalse();
        awaitTrue(() -> before.containsAll(brokerThreads()), "the broker's own thread ends");
    }

    // ---- helpers ----

    private NatsSettings settings() {
        return NatsSettings.defaults(server.url());
    }

    private Broker started(NatsSettings s, Recorder listener) throws Exception {
        NatsBroker broker = new NatsBroker(s, Duration.ofSeconds(1));
        brokers.add(broker);
        await(broker.start(listener));
        return broker;
    }

    /** Names of the live threads that brokers start for themselves. */
    private static Set<String> brokerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("switchboard-nats-"))
                .map(Thread::getName)
                .collect(Collectors.toSet());
    }

    private static void await(CompletionStage<?> stage) throws Exception {
        stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static Throwable failure(CompletableFuture<?> f) throws InterruptedException {
        try {
            f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError("future still pending after " + WAIT, e);
        }
        throw new AssertionError("future completed normally");
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                StringBuilder dump = new StringBuilder();
                Thread.getAllStackTraces().forEach((t, st) -> {
                    dump.append(t.getName()).append(' ').append(t.getState()).append('\n');
                    for (StackTraceElement e : st) {
                        dump.append("    at ").append(e).append('\n');
                    }
                });
                log.error("threads when waiting gave up:\n{}", dump);
                throw new AssertionError("not within " + WAIT + ": " + what);
            }
            Thread.sleep(10);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** One received message. */
    private record Got(String channel, byte[] payload) {
        Got(String channel, String text) {
            this(channel, bytes(text));
        }

        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Got g && g.channel.equals(channel) && Arrays.equals(g.payload, payload);
        }

        @Override
        public int hashCode() {
            return channel.hashCode() * 31 + Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return channel + ": " + (payload.length > 64 ? payload.length + " bytes" : text());
        }
    }

    /** Queues messages, counts reconnects, and notices callbacks that overlap (the contract forbids it). */
    private static final class Recorder implements Broker.Listener {
        final BlockingQueue<Got> queue = new LinkedBlockingQueue<>();
        final AtomicInteger reconnects = new AtomicInteger();
        final AtomicInteger overlaps = new AtomicInteger();
        private final AtomicInteger inside = new AtomicInteger();

        @Override
        public void onMessage(String channel, byte[] payload) {
            enter();
            queue.add(new Got(channel, payload));
            inside.decrementAndGet();
        }

        @Override
        public void onReconnected() {
            enter();
            reconnects.incrementAndGet();
            inside.decrementAndGet();
        }

        private void enter() {
            if (inside.incrementAndGet() > 1) {
                overlaps.incrementAndGet();
            }
        }

        Got next() throws InterruptedException {
            Got g = queue.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(g).as("a message within %s", WAIT).isNotNull();
            return g;
        }

        Got poll(Duration wait) throws InterruptedException {
            return queue.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        }
    }
}
