package io.switchboard.core.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.HubException;
import io.switchboard.core.TimeSource;
import io.switchboard.core.broker.Broker;
import io.switchboard.core.broker.MemoryBroker;
import io.switchboard.core.config.Cluster;
import io.switchboard.core.config.CoreConfig;
import io.switchboard.core.guard.ClusterGuard;
import io.switchboard.core.history.HistoryStore;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.core.hub.Fakes.CountingFrames;
import io.switchboard.core.hub.Fakes.RecordingSession;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.core.presence.MemoryPresenceStore;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.ManualScheduler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two nodes sharing history over a memory bus, the publishing node's broker refusing publishes for a
 * while (disconnected, or its circuit breaker open), or its history appends timing out but happening.
 * A node notices a gap only when a later message reaches it; when the messages concerned were a room's
 * last ones, that later message must come from the publishing node once its broker (or store) works
 * again, or the members wait forever (NatsClusterTest's NATS restart: the publishing node reconnecting
 * after the load ended, or Redis slow at the end of the load).
 */
class HubUnpublishedTest {
    private final ExecutorService loop1 = Executors.newSingleThreadExecutor();
    private final ExecutorService loop2 = Executors.newSingleThreadExecutor();
    private final CountingFrames frames = new CountingFrames();
    private final JsonCodec codec = new JsonCodec();
    private final MemoryBroker.Bus bus = new MemoryBroker.Bus();
    private final MemoryHistoryStore history =
            new MemoryHistoryStore(100, Duration.ofMinutes(5), TimeSource.SYSTEM);
    private final MemoryPresenceStore presence = new MemoryPresenceStore();
    private final SwitchableBroker publishersBroker = new SwitchableBroker(bus.broker());
    private final SlowHistory publishersHistory = new SlowHistory(history);
    private final RecordingSession alice = new RecordingSession();
    private final RecordingSession bob = new RecordingSession();
    private Hub publisher;
    private Hub receiver;
    private Connection aliceConn;

    /** The receiving node's timer in the tail-check tests: its checks run only when the test advances it. */
    private final ManualScheduler receiversTimer = new ManualScheduler();

    private void startNodes(ClusterGuard publishersGuard) throws Exception {
        startNodes(publishersGuard, null);
    }

    /** @param receiversTimer the receiving node's timer; null: its own thread, in real time */
    private void startNodes(ClusterGuard publishersGuard, ScheduledExecutorService receiversTimer) throws Exception {
        publisher = hub("n1", publishersHistory, publishersBroker, publishersGuard, null);
        receiver = hub("n2", history, bus.broker(), null, receiversTimer);
        aliceConn = on(loop1, () -> join(publisher, alice, "alice", loop1));
        on(loop2, () -> join(receiver, bob, "bob", loop2));
    }

    /**
     * How often the nodes compare quiet rooms with their history. The republishing tests keep it an hour
     * away, so that only republishing can deliver what they wait for; the tail-check tests set 200 ms of
     * the receiver's manual timer.
     */
    private Duration tailCheckInterval = Duration.ofHours(1);

    private CoreConfig config() {
        return CoreConfig.builder().cluster(Cluster.builder().tailCheckInterval(tailCheckInterval).build()).build();
    }

    private Hub hub(String node, HistoryStore store, Broker broker, ClusterGuard brokerGuard,
                    ScheduledExecutorService timer) throws Exception {
        Hub hub = new Hub(config(), new Hub.Backends(store, broker, presence, brokerGuard,
                null), frames, codec, TimeSource.SYSTEM, node, "test", HubMetrics.NOOP, timer);
        hub.start().toCompletableFuture().get(5, TimeUnit.SECONDS);
        return hub;
    }

    private static Connection join(Hub hub, RecordingSession session, String user, ExecutorService loop)
            throws HubException {
        Connection c = hub.register(session, user, hub.shard(loop));
        hub.join(c, "r", null, JoinExpected.INSTANCE);
        return c;
    }

    @AfterEach
    void stop() throws Exception {
        for (Hub hub : new Hub[] {publisher, receiver}) {
            if (hub != null) {
                hub.close();
            }
        }
        on(loop1, () -> null);
        on(loop2, () -> null);
        loop1.shutdownNow();
        loop2.shutdownNow();
        assertThat(frames.live.get()).as("frames still referenced").isZero();
    }

    private static <T> T on(ExecutorService loop, Callable<T> task) throws Exception {
        return loop.submit(task).get(5, TimeUnit.SECONDS);
    }

    private long publish(String content) throws Exception {
        return on(loop1, () -> publisher.publish(aliceConn, "r", content, null, true)).toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
    }

    private List<Long> offsets(ExecutorService loop, RecordingSession s) throws Exception {
        return on(loop, () -> s.ofType("room_message").stream().map(m -> m.path("offset").asLong()).toList());
    }

    private void awaitBobHolds(String what, List<Long> expected) throws Exception {
        awaitHolds(loop2, bob, what, expected);
    }

    /** Waits up to 10 s until {@code session} (on {@code loop}) holds exactly {@code expected}. */
    private void awaitHolds(ExecutorService loop, RecordingSession session, String what, List<Long> expected)
            throws Exception {
        Await.until(what + ": " + expected, Duration.ofSeconds(10), () -> {
            try {
                return offsets(loop, session).equals(expected);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void theLastMessagesOfARoomReachTheOtherNodesOnceTheBrokerTakesPublishesAgain() throws Exception {
        startNodes(null);
        publish("m1");
        awaitBobHolds("1 through the broker", List.of(1L));
        publishersBroker.down = true;
        publish("m2");
        publish("m3");
        assertThat(publishersBroker.refused.get()).as("publishes refused while down").isEqualTo(2);
        publishersBroker.down = false; // nothing published after this: no later message shows bob the gap
        awaitBobHolds("2 and 3 from history once the publishing node's broker is back", List.of(1L, 2L, 3L));
        assertThat(offsets(loop1, alice)).containsExactly(1L, 2L, 3L);
    }

    @Test
    void publishesRefusedByAnOpenBreakerAreAnnouncedOnceItLetsCallsThrough() throws Exception {
        startNodes(new ClusterGuard("broker", Duration.ofSeconds(1), 100, Duration.ofMillis(300), 3));
        publish("m1");
        awaitBobHolds("1 through the broker", List.of(1L));
        publishersBroker.down = true;
        for (int i = 2; i <= 6; i++) {
            publish("m" + i); // the first three fail, then the breaker opens and refuses the rest
        }
        assertThat(publisher.brokerGuard().isOpen()).as("breaker open").isTrue();
        publishersBroker.down = false;
        awaitBobHolds("2..6 once the breaker lets a probe through",
                List.of(1L, 2L, 3L, 4L, 5L, 6L));
    }

    @Test
    void messagesWhoseAppendTimedOutButHappenedReachEveryMemberOnceTheStoreAnswersAgain() throws Exception {
        startNodes(null);
        publish("m1");
        awaitBobHolds("1 through the broker", List.of(1L));
        publishersHistory.slow = true;
        for (String content : List.of("m2", "m3")) {
            assertThatThrownBy(() -> publish(content)).isInstanceOf(ExecutionException.class)
                    .hasRootCauseInstanceOf(HubException.class);
        }
        publishersHistory.slow = false; // nothing published after this: no later message shows anyone the gap
        assertThat(history.position("r").toCompletableFuture().join().offset()).as("appended anyway").isEqualTo(3);
        awaitBobHolds("2 and 3 on the other node", List.of(1L, 2L, 3L));
        awaitHolds(loop1, alice, "2 and 3 on the publishing node", List.of(1L, 2L, 3L));
    }

    @Test
    void aMessageWhosePublishingNodeDiedBeforeRelayingItReachesTheOtherNodes() throws Exception {
        tailCheckInterval = Duration.ofMillis(200);
        startNodes(null, receiversTimer);
        publish("m1");
        awaitBobHolds("1 through the broker", List.of(1L));
        publishersBroker.down = true;
        publish("m2"); // appended, never relayed
        publisher.close(); // and the node dies: nobody republishes, no later message shows the gap
        publisher = null;
        Await.until("the receiver's tail checks scheduled", () -> receiversTimer.pendingTasks() > 0);
        receiversTimer.advance(tailCheckInterval);
        assertThat(offsets(loop2, bob)).as("the first check only notes where the room is").containsExactly(1L);
        receiversTimer.advance(tailCheckInterval); // the room stayed quiet for a whole interval: compared
        receiversTimer.advance(config().cluster().timeout()); // the gap check the comparison asked for
        awaitBobHolds("2 from history, found by the tail check", List.of(1L, 2L));
    }

    @Test
    void aQuietRoomInStepWithItsHistoryIsLeftAlone() throws Exception {
        tailCheckInterval = Duration.ofMillis(200);
        startNodes(null, receiversTimer);
        publish("m1");
        awaitBobHolds("1 through the broker", List.of(1L));
        Await.until("the receiver's tail checks scheduled", () -> receiversTimer.pendingTasks() > 0);
        receiversTimer.advance(tailCheckInterval.multipliedBy(5)); // five tail checks
        receiversTimer.runDue();
        assertThat(receiversTimer.failures()).isEmpty();
        assertThat(offsets(loop2, bob)).containsExactly(1L);
        assertThat(on(loop2, () -> bob.ofType("room_message").size())).isEqualTo(1);
    }

    /** A history whose appends, while {@link #slow}, happen but report a timeout, as a slow Redis' do. */
    private static final class SlowHistory implements HistoryStore {
        private final HistoryStore inner;
        volatile boolean slow;

        SlowHistory(HistoryStore inner) {
            this.inner = inner;
        }

        @Override
        public CompletionStage<Appended> append(String room, String from, String connId, String content,
                                                JsonNode data, long timestampMillis) {
            CompletionStage<Appended> appended = inner.append(room, from, connId, content, data, timestampMillis);
            return slow ? CompletableFuture.failedFuture(new TimeoutException()) : appended;
        }

        @Override
        public CompletionStage<Position> position(String room) {
            return inner.position(room);
        }

        @Override
        public CompletionStage<Recovery> recover(String room, long offset, String epoch) {
            return inner.recover(room, offset, epoch);
        }

        @Override
        public CompletionStage<Page> read(String room, Long afterOffset, int limit) {
            return inner.read(room, afterOffset, limit);
        }
    }

    /** A broker whose publishes fail at once while {@link #down}, as NATS' do while disconnected. */
    private static final class SwitchableBroker implements Broker {
        private final Broker inner;
        final AtomicInteger refused = new AtomicInteger();
        volatile boolean down;

        SwitchableBroker(Broker inner) {
            this.inner = inner;
        }

        @Override
        public CompletionStage<Void> start(Listener listener) {
            return inner.start(listener);
        }

        @Override
        public CompletionStage<Void> subscribe(String channel) {
            return inner.subscribe(channel);
        }

        @Override
        public CompletionStage<Void> unsubscribe(String channel) {
            return inner.unsubscribe(channel);
        }

        @Override
        public CompletionStage<Void> publish(String channel, byte[] payload) {
            if (down) {
                refused.incrementAndGet();
                return CompletableFuture.failedFuture(new IllegalStateException("not connected"));
            }
            return inner.publish(channel, payload);
        }

        @Override
        public boolean isConnected() {
            return !down;
        }

        @Override
        public boolean reachesOtherNodes() {
            return inner.reachesOtherNodes();
        }

        @Override
        public String describe() {
            return "switchable";
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
