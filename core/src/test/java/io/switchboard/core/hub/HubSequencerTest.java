package io.switchboard.core.hub;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.core.TimeSource;
import io.switchboard.core.broker.Broker;
import io.switchboard.core.broker.Envelope;
import io.switchboard.core.broker.MemoryBroker;
import io.switchboard.core.config.CoreConfig;
import io.switchboard.core.history.HistoryStore.Appended;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.core.hub.Fakes.CountingFrames;
import io.switchboard.core.hub.Fakes.RecordingSession;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.core.presence.MemoryPresenceStore;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.ManualScheduler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The room sequencer of one node, fed by another node through a memory broker bus with the order, gaps,
 * duplicates and epochs the test chooses: early messages are parked, duplicates dropped, a gap that
 * never closes is filled from history, and a lost history closes the members so that they recover.
 */
class HubSequencerTest {
    private final ExecutorService loop = Executors.newSingleThreadExecutor();
    private final CountingFrames frames = new CountingFrames();
    private final JsonCodec codec = new JsonCodec();
    private final MemoryBroker.Bus bus = new MemoryBroker.Bus();
    private final MemoryHistoryStore history =
            new MemoryHistoryStore(100, Duration.ofMinutes(5), TimeSource.SYSTEM);
    private final MemoryBroker otherNode = bus.broker();
    private final RecordingSession bob = new RecordingSession();
    /** The hub's timer: gap checks run only when the test advances it. */
    private final ManualScheduler timer = new ManualScheduler();
    private Hub hub;

    @BeforeEach
    void start() throws Exception {
        hub = new Hub(CoreConfig.defaults(), new Hub.Backends(history, bus.broker(),
                new MemoryPresenceStore(), null, null), frames, codec, TimeSource.SYSTEM, "n1", "test",
                HubMetrics.NOOP, timer);
        hub.start().toCompletableFuture().get(5, TimeUnit.SECONDS);
        otherNode.start(new Broker.Listener() {
            @Override
            public void onMessage(String channel, byte[] payload) {
            }

            @Override
            public void onReconnected() {
            }
        });
        onLoop(() -> {
            Connection c = hub.register(bob, "bob", hub.shard(loop));
            hub.join(c, "r", null, JoinExpected.INSTANCE);
            return null;
        });
    }

    @AfterEach
    void stop() throws Exception {
        hub.close();
        otherNode.close();
        onLoop(() -> null);
        loop.shutdownNow();
        assertThat(frames.live.get()).as("frames still referenced").isZero();
    }

    private <T> T onLoop(Callable<T> task) throws Exception {
        return loop.submit(task).get(5, TimeUnit.SECONDS);
    }

    /** A message another node appended to the shared history, not yet published. */
    private Appended appended(String content) {
        return history.append("r", "alice", "c-n9-1", content, null, System.currentTimeMillis())
                .toCompletableFuture().join();
    }

    /** The other node publishes it (or a copy claiming another epoch). */
    private void publish(Appended a, String epoch) {
        byte[] json = codec.encode(a.message());
        otherNode.publish("room.r", Envelope.roomMessage("n9", "r", epoch, a.message().offset(), null, json)
                .encode());
    }

    private List<Long> bobsOffsets() throws Exception {
        return onLoop(() -> bob.ofType("room_message").stream().map(m -> m.path("offset").asLong()).toList());
    }

    /** Waits for what the broker and loop threads do; the hub's timer runs only what is already due. */
    private void await(String what, Supplier<Boolean> condition) {
        Await.until(what, () -> {
            timer.runDue();
            return condition.get();
        });
    }

    private Supplier<Boolean> bobHolds(Long... offsets) {
        return () -> {
            try {
                return bobsOffsets().equals(List.of(offsets));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }

    @Test
    void anEarlyMessageWaitsForItsTurnAndADuplicateIsDropped() throws Exception {
        Appended first = appended("m1");
        Appended second = appended("m2");
        publish(second, second.epoch());
        publish(first, first.epoch());
        await("1 then 2", bobHolds(1L, 2L));
        publish(second, second.epoch());
        publish(first, first.epoch());
        Appended third = appended("m3");
        publish(third, third.epoch());
        await("3 after 1 and 2, no duplicates", bobHolds(1L, 2L, 3L));
    }

    @Test
    void aGapThatNeverClosesIsFilledFromHistory() throws Exception {
        Appended first = appended("m1");
        appended("m2"); // published by nobody: its node died before publishing
        Appended third = appended("m3");
        publish(first, first.epoch());
        publish(third, third.epoch());
        await("1 delivered, 3 parked behind the gap with a check pending", () -> {
            try {
                return bobsOffsets().equals(List.of(1L)) && timer.pendingTasks() > 0;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        timer.advance(CoreConfig.defaults().cluster().gapTimeout().minusMillis(1));
        assertThat(bobsOffsets()).as("nothing read from history before the gap timeout").containsExactly(1L);
        timer.advance(Duration.ofMillis(1));
        await("2 read from history after the gap timeout, then 3", bobHolds(1L, 2L, 3L));
        assertThat(onLoop(() -> bob.ofType("room_message").get(1).path("content").asText())).isEqualTo("m2");
    }

    @Test
    void aMessageFromALostHistoryClosesTheMembersSoThatTheyRecover() throws Exception {
        Appended first = appended("m1");
        publish(first, first.epoch());
        await("1", bobHolds(1L));
        publish(appended("m2"), "another-epoch");
        await("bob closed with 1012", () -> {
            try {
                return onLoop(() -> bob.closedWith) == CloseCode.SERVICE_RESTART;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
