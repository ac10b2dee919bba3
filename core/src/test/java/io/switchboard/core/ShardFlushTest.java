package io.switchboard.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.core.Fakes.CountingFrames;
import io.switchboard.core.Fakes.ManualEventLoop;
import io.switchboard.core.Fakes.ManualTime;
import io.switchboard.core.Fakes.RecordingSession;
import io.switchboard.core.config.SwitchboardConfig;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.protocol.JsonCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The shard's flush pass: chunked, with the loop's socket polls in between, and no extra syscalls. */
class ShardFlushTest {
    private final ManualTime time = new ManualTime();
    private final CountingFrames frames = new CountingFrames();
    private final ManualEventLoop loop = new ManualEventLoop();
    private final SwitchboardConfig config = SwitchboardConfig.defaults();
    private final Hub hub = new Hub(config, new MemoryHistoryStore(config.history().size(), config.history().ttl(), time),
            frames, new JsonCodec(), time, "n1", "test");
    private final Shard shard = hub.shard(loop);

    private final int members = Shard.FLUSH_CHUNK * 2 + 10;
    private final RecordingSession[] sessions = new RecordingSession[members];
    private final Connection[] connections = new Connection[members];

    ShardFlushTest() {
        for (int i = 0; i < members; i++) {
            sessions[i] = new RecordingSession();
            connections[i] = hub.register(sessions[i], "u" + i, shard);
        }
        loop.runTasks();
    }

    /** What a fan-out task does: one frame written to every connection. */
    private void deliverToAll(String text) {
        OutboundFrame frame = frames.text(("{\"type\":\"room_message\",\"content\":\"" + text + "\"}").getBytes(UTF_8));
        try {
            for (Connection c : connections) {
                assertThat(shard.deliver(c, frame)).isTrue();
            }
        } finally {
            frame.release();
        }
    }

    private static java.util.List<String> contents(RecordingSession s) {
        return s.ofType("room_message").stream().map(m -> m.path("content").asText()).toList();
    }

    @AfterEach
    void everyFrameIsReleased() {
        while (!loop.idle()) {
            loop.poll();
        }
        assertThat(frames.live.get()).as("frames still referenced").isZero();
    }

    @Test
    void aFlushPassStopsAfterAChunkUntilTheLoopPolledItsSockets() {
        deliverToAll("m1");
        loop.runTasks();

        for (int i = 0; i < members; i++) {
            assertThat(sessions[i].flushes).as("connection %d after the first chunk", i)
                    .isEqualTo(i < Shard.FLUSH_CHUNK ? 1 : 0);
        }
        assertThat(loop.scheduled).as("the rest waits for the next poll").hasSize(1);
    }

    @Test
    void aMessageReadBetweenChunksLeavesWithTheNextFlushOfEachSocket() {
        deliverToAll("m1");
        loop.runTasks();
        // The poll reads a second publish: its fan-out runs before the pass goes on.
        loop.execute(() -> deliverToAll("m2"));
        while (!loop.idle()) {
            loop.poll();
        }

        int flushes = 0;
        for (int i = 0; i < members; i++) {
            assertThat(contents(sessions[i])).as("connection %d", i).containsExactly("m1", "m2");
            assertThat(sessions[i].unflushed).isEmpty();
            // Not yet flushed when m2 arrived: both leave in one flush. Flushed already: m2 in the next.
            assertThat(sessions[i].flushes).as("flushes of connection %d", i).isEqualTo(i < Shard.FLUSH_CHUNK ? 2 : 1);
            flushes += sessions[i].flushes;
        }
        assertThat(flushes).isEqualTo(members + Shard.FLUSH_CHUNK);
    }

    @Test
    void inputThatOutrunsTheFlushesGetsAWholePassBeforeTheNextRead() {
        deliverToAll("m0");
        loop.runTasks();
        // The poll brings more frames per connection flushed than the pauses can afford.
        int bursts = Shard.WRITES_PER_FLUSH * Shard.FLUSH_CHUNK / members + 1;
        loop.execute(() -> {
            for (int i = 0; i < bursts; i++) {
                deliverToAll("x" + i);
            }
        });
        loop.poll();

        assertThat(loop.scheduled).as("no pause: the whole queue went out before the next read").isEmpty();
        for (int i = 0; i < members; i++) {
            assertThat(sessions[i].unflushed).as("connection %d", i).isEmpty();
            assertThat(contents(sessions[i])).hasSize(bursts + 1);
        }
    }

    @Test
    void aHeartbeatPingLeavesWithTheShardsFlushNotOnItsOwn() {
        time.advanceMillis(config.websocket().pingInterval().toMillis());
        shard.tick();
        for (RecordingSession s : sessions) {
            assertThat(s.pings).isEqualTo(1);
        }
        assertThat(sessions[members - 1].flushes).as("nothing flushed inside the sweep").isZero();
        while (!loop.idle()) {
            loop.poll();
        }
        for (RecordingSession s : sessions) {
            assertThat(s.flushes).as("the ping went out with one flush").isEqualTo(1);
        }
    }
}
