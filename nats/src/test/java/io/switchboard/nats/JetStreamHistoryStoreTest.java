package io.switchboard.nats;

import static org.assertj.core.api.Assertions.assertThat;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.switchboard.core.history.HistoryStore;
import io.switchboard.core.history.HistoryStore.Position;
import io.switchboard.core.history.HistoryStore.Recovery;
import io.switchboard.core.history.Retention;
import io.switchboard.protocol.ServerMessage.RoomMessage;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.NatsServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the JetStream history does beyond the shared contract: rooms interleaved in one stream, a server killed
 * and restarted on its file storage, a stream deleted under the nodes. Each test gets its own nats-server.
 */
class JetStreamHistoryStoreTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String PREFIX = "sbtest";

    private NatsServerProcess nats;
    private final List<HistoryStore> stores = new ArrayList<>();

    @BeforeEach
    void startNats() throws Exception {
        NatsServerProcess.requireBinary();
        Path storage = Files.createTempDirectory("jetstream-history");
        nats = NatsServerProcess.startedWith("-js", "-sd", storage.toString());
    }

    @AfterEach
    void stopNats() {
        stores.forEach(HistoryStore::close);
        if (nats != null) {
            nats.close();
        }
    }

    @Test
    void recoversAndPagesARoomWhoseMessagesAreInterleavedWithOtherRoomsInTheStream() throws Exception {
        HistoryStore h = store(1000);
        for (int i = 1; i <= 300; i++) {
            get(h.append("busy", "a", "c", "b" + i, null, i));
            if (i % 3 == 0) {
                get(h.append("quiet", "a", "c", "q" + i / 3, null, i));
            }
        }
        // Another node holds none of these in memory: it reads them from the stream.
        HistoryStore other = store(1000);
        String epoch = get(other.position("quiet")).epoch();
        Recovery r = get(other.recover("quiet", 57, epoch));
        assertThat(r.recovered()).isTrue();
        assertThat(r.messages()).extracting(RoomMessage::offset).containsExactlyElementsOf(range(58, 100));
        assertThat(r.messages()).extracting(RoomMessage::content).startsWith("q58", "q59");
        assertThat(get(other.read("busy", 150L, 4)).messages()).extracting(RoomMessage::content)
                .containsExactly("b151", "b152", "b153", "b154");
        assertThat(get(store(1000).read("quiet", null, 3)).messages()).extracting(RoomMessage::offset)
                .containsExactly(98L, 99L, 100L);
        assertThat(get(h.recover("quiet", 57, epoch)).messages()).as("the appending node, from memory")
                .isEqualTo(r.messages());
    }

    @Test
    void recoversAContiguousRunFromTheStreamOnANodeThatHoldsNoneOfItAndAPartFromMemoryOnOneThatHoldsSome()
            throws Exception {
        HistoryStore writer = store(1000);
        for (int i = 1; i <= 50; i++) {
            get(writer.append("room", "a", "c", "m" + i, null, i));
        }
        String epoch = get(writer.position("room")).epoch();
        HistoryStore reader = store(1000);
        assertThat(get(reader.recover("room", 10, epoch)).messages()).extracting(RoomMessage::offset)
                .containsExactlyElementsOf(range(11, 50));
        for (int i = 51; i <= 60; i++) {
            get(writer.append("room", "a", "c", "m" + i, null, i));
        }
        Recovery more = get(reader.recover("room", 20, epoch));
        assertThat(more.recovered()).isTrue();
        assertThat(more.messages()).extracting(RoomMessage::offset).containsExactlyElementsOf(range(21, 60));
        assertThat(more.messages()).extracting(RoomMessage::content).endsWith("m59", "m60");
    }

    @Test
    void recoveriesRacingAppendsToTheRoomOnTheSameNodeRecoverEveryOffsetUpToThePosition() throws Exception {
        HistoryStore node = store(10_000);
        String epoch = get(node.position("room")).epoch();
        List<CompletableFuture<?>> appends = new ArrayList<>();
        List<CompletableFuture<Recovery>> recoveries = new ArrayList<>();
        List<Long> asked = new ArrayList<>();
        for (int i = 1; i <= 300; i++) {
            CompletableFuture<HistoryStore.Appended> appended = node.append("room", "a", "c", "m" + i, null, i)
                    .toCompletableFuture();
            appends.add(appended);
            if (i % 3 == 0) {
                // As a client does: from an offset it was given, while later appends are under way.
                long since = Math.max(0, i - 40);
                asked.add(since);
                recoveries.add(appended.thenCompose(a -> node.recover("room", since, epoch)));
            }
        }
        CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        for (int i = 0; i < recoveries.size(); i++) {
            Recovery r = recoveries.get(i).get(30, TimeUnit.SECONDS);
            assertThat(r.recovered()).as("recovery %d from %d at %s", i, asked.get(i), r.position()).isTrue();
            assertThat(r.messages()).extracting(RoomMessage::offset)
                    .containsExactlyElementsOf(range(asked.get(i) + 1, r.position().offset()));
        }
    }

    @Test
    void aServerKilledAndRestartedOnItsStorageKeepsOffsetsAndEpochs() throws Exception {
        HistoryStore h = store(100);
        for (int i = 1; i <= 5; i++) {
            get(h.append("room", "a", "c", "m" + i, null, i));
        }
        Position before = get(h.position("room"));

        nats.kill9();
        assertThat(h.position("room").toCompletableFuture()).as("fails fast while NATS is down")
                .failsWithin(Duration.ofSeconds(10));
        nats.start();

        HistoryStore.Appended next = Await.succeeds("an append after the restart", WAIT,
                () -> h.append("room", "a", "c", "m6", null, 6));
        assertThat(next.epoch()).isEqualTo(before.epoch());
        assertThat(next.message().offset()).isEqualTo(6);
        Recovery r = get(store(100).recover("room", 3, before.epoch()));
        assertThat(r.recovered()).as("read from the restarted server's storage").isTrue();
        assertThat(r.messages()).extracting(RoomMessage::content).containsExactly("m4", "m5", "m6");
    }

    @Test
    void aDeletedStreamIsCreatedAgainWithANewEpochAndOldEpochsAreNotRecovered() throws Exception {
        HistoryStore h = store(100);
        for (int i = 1; i <= 3; i++) {
            get(h.append("room", "a", "c", "m" + i, null, i));
        }
        Position before = get(h.position("room"));
        Connection admin = Nats.connect(nats.url());
        try {
            admin.jetStreamManagement().deleteStream(JetStreamHistoryStore.streamName(PREFIX));
        } finally {
            admin.close();
        }
        // A fresh connection prepares the stream again: the one a restarting server gives, here the kill.
        nats.restart();

        HistoryStore.Appended first = Await.succeeds("an append to the recreated stream", WAIT,
                () -> h.append("room", "a", "c", "new", null, 9));
        assertThat(first.message().offset()).isEqualTo(1);
        assertThat(first.epoch()).isNotEqualTo(before.epoch());
        Recovery old = get(h.recover("room", 2, before.epoch()));
        assertThat(old.recovered()).isFalse();
        assertThat(old.position()).isEqualTo(new Position(1, first.epoch()));
    }

    @Test
    void anUnreachableServerFailsCallsWithinTheDeadlineInsteadOfHangingThem() {
        nats.kill9();
        HistoryStore h = store(10);
        assertThat(h.append("room", "a", "c", "x", null, 1).toCompletableFuture())
                .failsWithin(Duration.ofSeconds(5));
    }

    private HistoryStore store(int size) {
        HistoryStore s = new JetStreamHistoryStore(
                NatsSettings.builder().servers(List.of(nats.url())).subjectPrefix(PREFIX).build(),
                Duration.ofSeconds(1), Retention.Lookup.fixed(size, Duration.ofMinutes(5)), size,
                Duration.ofMinutes(5), Duration.ofMinutes(2));
        stores.add(s);
        return s;
    }

    private static List<Long> range(long first, long last) {
        List<Long> out = new ArrayList<>();
        for (long o = first; o <= last; o++) {
            out.add(o);
        }
        return out;
    }

    private static <T> T get(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
