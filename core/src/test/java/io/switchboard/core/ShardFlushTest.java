package io.switchboard.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.core.Fakes.CountingFrames;
import io.switchboard.core.Fakes.ManualExecutor;
import io.switchboard.core.Fakes.ManualTime;
import io.switchboard.core.Fakes.RecordingSession;
import io.switchboard.core.config.SwitchboardConfig;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.protocol.JsonCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the shard's flush batch carries besides fan-out frames. */
class ShardFlushTest {
    private final ManualTime time = new ManualTime();
    private final CountingFrames frames = new CountingFrames();
    private final ManualExecutor loop = new ManualExecutor();
    private final SwitchboardConfig config = SwitchboardConfig.defaults();
    private final Hub hub = new Hub(config, new MemoryHistoryStore(config.history().size(), config.history().ttl(), time),
            frames, new JsonCodec(), time, "n1", "test");
    private final Shard shard = hub.shard(loop);

    private final int members = 10;
    private final RecordingSession[] sessions = new RecordingSession[members];
    private final Connection[] connections = new Connection[members];

    ShardFlushTest() {
        for (int i = 0; i < members; i++) {
            sessions[i] = new RecordingSession();
            connections[i] = hub.register(sessions[i], "u" + i, shard);
        }
        loop.runAll();
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
        loop.runAll();
        assertThat(frames.live.get()).as("frames still referenced").isZero();
    }

    @Test
    void aHeartbeatPingLeavesWithTheShardsFlushNotOnItsOwn() {
        time.advanceMillis(config.websocket().pingInterval().toMillis());
        shard.tick();
        for (RecordingSession s : sessions) {
            assertThat(s.pings).isEqualTo(1);
        }
        assertThat(sessions[members - 1].flushes).as("nothing flushed inside the sweep").isZero();
        loop.runAll();
        for (RecordingSession s : sessions) {
            assertThat(s.flushes).as("the ping went out with one flush").isEqualTo(1);
        }
    }

    @Test
    void aPingDueWhileFramesAreQueuedLeavesInTheSameFlush() {
        deliverToAll("m1");
        time.advanceMillis(config.websocket().pingInterval().toMillis());
        shard.tick();
        loop.runAll();
        for (RecordingSession s : sessions) {
            assertThat(contents(s)).containsExactly("m1");
            assertThat(s.pings).isEqualTo(1);
            assertThat(s.flushes).as("frames and ping in one flush").isEqualTo(1);
        }
    }
}
