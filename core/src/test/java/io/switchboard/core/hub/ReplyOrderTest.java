package io.switchboard.core.hub;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.TimeSource;
import io.switchboard.core.command.CommandHandler;
import io.switchboard.core.config.CoreConfig;
import io.switchboard.core.history.HistoryStore;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.core.hub.Fakes.CountingFrames;
import io.switchboard.core.hub.Fakes.RecordingSession;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.protocol.JsonCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Replies leave in the order of their commands even when a store answers one of them later, on its own thread
 * (as Redis does a history append), while the next command's reply is ready at once on the connection's loop.
 * A streaming client posting over HTTP sees its acks in posting order; a WebSocket client, its replies in the
 * order it sent the commands.
 */
class ReplyOrderTest {
    private final ExecutorService loop = Executors.newSingleThreadExecutor();
    private final ExecutorService storeThread = Executors.newSingleThreadExecutor();
    private final CountingFrames frames = new CountingFrames();
    private final HeldAppends history = new HeldAppends(
            new MemoryHistoryStore(100, Duration.ofMinutes(5), TimeSource.SYSTEM));
    private final RecordingSession alice = new RecordingSession();
    private Hub hub;

    @AfterEach
    void stop() throws Exception {
        if (hub != null) {
            hub.close();
        }
        on(() -> null);
        loop.shutdownNow();
        storeThread.shutdownNow();
    }

    private <T> T on(Callable<T> task) throws Exception {
        return loop.submit(task).get(5, TimeUnit.SECONDS);
    }

    @Test
    void aReplyReadyAtOnceWaitsForTheEarlierOneAStoreAnswersLaterOnItsOwnThread() throws Exception {
        hub = new Hub(CoreConfig.builder().build(), Hub.Backends.memory(history), frames, new JsonCodec(), TimeSource.SYSTEM, "n1", "test", HubMetrics.NOOP, null);
        hub.start().toCompletableFuture().get(5, TimeUnit.SECONDS);
        CommandHandler commands = new CommandHandler(hub);
        Connection c = on(() -> hub.register(alice, "alice", hub.shard(loop)));
        on(() -> {
            send(commands, c, "{\"type\":\"join_room\",\"room\":\"r\",\"id\":\"j\"}");
            history.holding = true;
            send(commands, c, "{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"a\",\"id\":1}");
            history.holding = false;
            // Read from memory: its reply is ready while the append above is still out.
            send(commands, c, "{\"type\":\"history\",\"room\":\"r\",\"id\":2}");
            return null;
        });
        history.release(storeThread);
        List<String> ids = new ArrayList<>();
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); ids.size() < 2
                && System.nanoTime() < deadline; ) {
            ids = on(() -> alice.received.stream().map(m -> m.path("id")).filter(JsonNode::isNumber)
                    .map(JsonNode::asText).toList());
        }
        assertThat(ids).as("reply ids in the order they left").containsExactly("1", "2");
        assertThat(on(() -> alice.received.stream().filter(m -> m.path("id").asInt() == 1).findFirst().orElseThrow())
                .path("type").asText()).isEqualTo("ack");
    }

    private static void send(CommandHandler commands, Connection c, String json) {
        byte[] utf8 = json.getBytes(StandardCharsets.UTF_8);
        commands.handleText(c, utf8, 0, utf8.length);
    }

    /** A history whose appends, while {@link #holding}, are answered only when released, on another thread. */
    private static final class HeldAppends implements HistoryStore {
        private final HistoryStore inner;
        private final List<Runnable> held = new ArrayList<>();
        volatile boolean holding;

        HeldAppends(HistoryStore inner) {
            this.inner = inner;
        }

        synchronized void release(ExecutorService thread) {
            held.forEach(thread::execute);
            held.clear();
        }

        @Override
        public CompletionStage<Appended> append(String room, String from, String connId, String content,
                                                JsonNode data, long timestampMillis) {
            CompletionStage<Appended> appended = inner.append(room, from, connId, content, data, timestampMillis);
            if (!holding) {
                return appended;
            }
            CompletableFuture<Appended> later = new CompletableFuture<>();
            synchronized (this) {
                held.add(() -> appended.whenComplete((a, e) -> {
                    if (e != null) {
                        later.completeExceptionally(e);
                    } else {
                        later.complete(a);
                    }
                }));
            }
            return later;
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
}
