package io.switchboard.core.history;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.core.history.HistoryStore.Page;
import io.switchboard.core.history.HistoryStore.Position;
import io.switchboard.core.history.HistoryStore.Recovery;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ServerMessage.RoomMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What every {@link HistoryStore} must do, run against each implementation: gap-free offsets per room
 * (also when two nodes append at once), an epoch per lineage, exact recovery, paging and trimming by
 * size.
 */
public abstract class HistoryStoreContract {
    private static final ObjectMapper JSON = new JsonCodec().mapper();

    /**
     * A store keeping {@code size} messages per room for {@code ttl}. Called twice with the same arguments
     * in one test, it returns two clients of the same backend: two nodes sharing the history.
     */
    protected abstract HistoryStore store(int size, Duration ttl) throws Exception;

    /** A store whose rooms keep what {@code retention} says (per-namespace history). */
    protected abstract HistoryStore store(Retention.Lookup retention) throws Exception;

    /** Unique per test so that tests sharing a backend never see each other's rooms. */
    protected final String room = "h" + UUID.randomUUID().toString().substring(0, 8) + ":room/1";

    @Test
    void numbersMessagesFromOneWithinOneEpoch() throws Exception {
        HistoryStore h = store(100, Duration.ofMinutes(5));
        Position empty = get(h.position(room));
        assertThat(empty.offset()).isZero();
        assertThat(empty.epoch()).isNotBlank();
        for (int i = 1; i <= 5; i++) {
            HistoryStore.Appended a = get(h.append(room, "alice", "c-1", "m" + i, null, System.currentTimeMillis()));
            RoomMessage m = a.message();
            assertThat(a.epoch()).isEqualTo(empty.epoch());
            assertThat(m.offset()).isEqualTo(i);
            assertThat(m.room()).isEqualTo(room);
        }
        Position p = get(h.position(room));
        assertThat(p.offset()).isEqualTo(5);
        assertThat(p.epoch()).isEqualTo(empty.epoch());
    }

    @Test
    void keepsEveryFieldOfAMessage() throws Exception {
        HistoryStore h = store(10, Duration.ofMinutes(5));
        JsonNode data = JSON.readTree("{\"n\":[1,2.5,\"x\",{\"deep\":true}],\"s\":\"\\u00e9\\u2603\",\"z\":null}");
        long ts = System.currentTimeMillis();
        RoomMessage sent = get(h.append(room, "bob", "c-b-2", "héllo \"quoted\" \n", data, ts)).message();
        RoomMessage bare = get(h.append(room, "bob", null, null, null, ts + 1)).message();
        Page page = get(h.read(room, null, 10));
        assertThat(page.messages()).containsExactly(sent, bare);
        assertThat(page.messages().get(0).data()).isEqualTo(data);
        assertThat(page.messages().get(0).content()).isEqualTo("héllo \"quoted\" \n");
        assertThat(page.messages().get(0).ts()).isEqualTo(ts);
        assertThat(page.messages().get(1).connId()).isNull();
    }

    @Test
    void keepsTheTextOfDataNumbers() throws Exception {
        HistoryStore h = store(10, Duration.ofMinutes(5));
        String text = "{\"a\":1e999999,\"b\":1E2,\"c\":0.1000000000000000000001,\"d\":12345678901234567890123,"
                + "\"e\":-0}";
        get(h.append(room, "bob", "c-b-2", null, JSON.readTree(text), System.currentTimeMillis()));
        JsonNode replayed = get(h.read(room, null, 10)).messages().get(0).data();
        assertThat(JSON.writeValueAsString(replayed)).isEqualTo(text);
    }

    @Test
    void recoversExactlyTheMessagesAfterAnOffset() throws Exception {
        HistoryStore h = store(100, Duration.ofMinutes(5));
        appendN(h, 10);
        String epoch = get(h.position(room)).epoch();
        Recovery r = get(h.recover(room, 6, epoch));
        assertThat(r.recovered()).isTrue();
        assertThat(r.messages()).extracting(RoomMessage::offset).containsExactly(7L, 8L, 9L, 10L);
        assertThat(r.messages()).extracting(RoomMessage::content).containsExactly("m7", "m8", "m9", "m10");
        assertThat(r.position()).isEqualTo(new Position(10, epoch));

        Recovery upToDate = get(h.recover(room, 10, epoch));
        assertThat(upToDate.recovered()).isTrue();
        assertThat(upToDate.messages()).isEmpty();

        Recovery fromStart = get(h.recover(room, 0, epoch));
        assertThat(fromStart.recovered()).isTrue();
        assertThat(fromStart.messages()).hasSize(10);
    }

    @Test
    void refusesToRecoverAnotherEpochOrTheFuture() throws Exception {
        HistoryStore h = store(100, Duration.ofMinutes(5));
        appendN(h, 3);
        String epoch = get(h.position(room)).epoch();
        Recovery wrongEpoch = get(h.recover(room, 1, epoch + "x"));
        assertThat(wrongEpoch.recovered()).isFalse();
        assertThat(wrongEpoch.messages()).isEmpty();
        assertThat(wrongEpoch.position()).isEqualTo(new Position(3, epoch));
        Recovery ahead = get(h.recover(room, 4, epoch));
        assertThat(ahead.recovered()).isFalse();
    }

    @Test
    void appendsOncePerIdempotencyKeyAndRoomWithinTheWindow() throws Exception {
        HistoryStore nodeA = store(100, Duration.ofMinutes(5));
        HistoryStore nodeB = store(100, Duration.ofMinutes(5));
        Duration window = Duration.ofSeconds(1);
        long ts = System.currentTimeMillis();
        HistoryStore.Appended first = get(nodeA.append(room, "alice", "c-1", "once", null, ts, "k-1", window));
        assertThat(first.duplicate()).isFalse();
        assertThat(first.message().offset()).isEqualTo(1);
        HistoryStore.Appended repeat = get(nodeB.append(room, "alice", "c-1", "once", null, ts, "k-1", window));
        assertThat(repeat.duplicate()).isTrue();
        assertThat(repeat.message().offset()).isEqualTo(1);
        assertThat(repeat.epoch()).isEqualTo(first.epoch());
        assertThat(get(nodeB.append(room, "alice", "c-1", "other", null, ts, "k-2", window)).message().offset())
                .isEqualTo(2);
        assertThat(get(nodeA.append(room + "-b", "alice", "c-1", "once", null, ts, "k-1", window)).duplicate())
                .as("keys are per room").isFalse();
        assertThat(get(nodeA.read(room, null, 10)).messages()).extracting(RoomMessage::content)
                .containsExactly("once", "other");

        Thread.sleep(window.toMillis() + 200);
        HistoryStore.Appended later = get(nodeA.append(room, "alice", "c-1", "again", null, ts, "k-1", window));
        assertThat(later.duplicate()).as("the window passed").isFalse();
        assertThat(later.message().offset()).isEqualTo(3);
    }

    @Test
    void racingAppendsWithOneKeyAppendOnce() throws Exception {
        HistoryStore nodeA = store(100, Duration.ofMinutes(5));
        HistoryStore nodeB = store(100, Duration.ofMinutes(5));
        List<CompletableFuture<HistoryStore.Appended>> all = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int i = 0; i < 40; i++) {
                HistoryStore h = i % 2 == 0 ? nodeA : nodeB;
                all.add(CompletableFuture.supplyAsync(() -> h.append(room, "a", "c", "x", null, 1L, "race",
                        Duration.ofMinutes(1)), pool).thenCompose(stage -> stage));
            }
            List<HistoryStore.Appended> done = new ArrayList<>();
            for (CompletableFuture<HistoryStore.Appended> f : all) {
                done.add(f.get(10, TimeUnit.SECONDS));
            }
            assertThat(done).filteredOn(a -> !a.duplicate()).hasSize(1);
            assertThat(done).extracting(a -> a.message().offset()).containsOnly(1L);
            assertThat(get(nodeA.position(room)).offset()).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void eachRoomKeepsItsOwnRetention() throws Exception {
        String none = "none:" + room;
        String two = "two:" + room;
        HistoryStore h = store(r -> r.startsWith("none:") ? new Retention(0, Duration.ofMinutes(5))
                : r.startsWith("two:") ? new Retention(2, Duration.ofMinutes(5)) : new Retention(10, Duration.ofMinutes(5)));
        for (String r : List.of(none, two, room)) {
            for (int i = 1; i <= 3; i++) {
                assertThat(get(h.append(r, "alice", "c-1", "m" + i, null, System.currentTimeMillis())).message()
                        .offset()).as("offsets of %s", r).isEqualTo(i);
            }
        }
        assertThat(get(h.read(none, null, 100)).messages()).isEmpty();
        assertThat(get(h.read(two, null, 100)).messages()).extracting(RoomMessage::offset).containsExactly(2L, 3L);
        assertThat(get(h.read(room, null, 100)).messages()).hasSize(3);
        String epoch = get(h.position(none)).epoch();
        assertThat(get(h.recover(none, 1, epoch)).recovered()).isFalse();
        assertThat(get(h.recover(none, 3, epoch)).recovered()).as("nothing missed").isTrue();
    }

    /**
     * More than a hundred expired at once: stores that drop them in batches must go on past the first batch. The
     * room stays in use (a message every 2 s, under the 3 s ttl), so it keeps its epoch.
     */
    @Test
    void dropsEveryMessageOlderThanItsTtl() throws Exception {
        HistoryStore h = store(1000, Duration.ofSeconds(3));
        appendN(h, 150);
        String epoch = get(h.position(room)).epoch();
        Thread.sleep(2000);
        get(h.append(room, "alice", "c-1", "kept", null, System.currentTimeMillis()));
        Thread.sleep(2000);
        get(h.append(room, "alice", "c-1", "after", null, System.currentTimeMillis()));
        assertThat(get(h.read(room, null, 1000)).messages()).extracting(RoomMessage::offset)
                .containsExactly(151L, 152L);
        assertThat(get(h.position(room)).epoch()).as("a room in use keeps its epoch").isEqualTo(epoch);
        assertThat(get(h.recover(room, 149, epoch)).recovered()).as("offset 150 expired").isFalse();
        assertThat(get(h.recover(room, 150, epoch)).messages()).extracting(RoomMessage::offset)
                .containsExactly(151L, 152L);
    }

    @Test
    void trimsToItsSizeAndRefusesToRecoverWhatWasTrimmed() throws Exception {
        HistoryStore h = store(5, Duration.ofMinutes(5));
        appendN(h, 12);
        String epoch = get(h.position(room)).epoch();
        assertThat(get(h.recover(room, 6, epoch)).recovered()).as("offset 7 was trimmed").isFalse();
        Recovery r = get(h.recover(room, 7, epoch));
        assertThat(r.recovered()).isTrue();
        assertThat(r.messages()).extracting(RoomMessage::offset).containsExactly(8L, 9L, 10L, 11L, 12L);
        assertThat(get(h.read(room, null, 100)).messages()).extracting(RoomMessage::offset)
                .containsExactly(8L, 9L, 10L, 11L, 12L);
    }

    @Test
    void pagesForwardFromAnOffsetAndBackFromTheEnd() throws Exception {
        HistoryStore h = store(100, Duration.ofMinutes(5));
        appendN(h, 10);
        Page last3 = get(h.read(room, null, 3));
        assertThat(last3.messages()).extracting(RoomMessage::offset).containsExactly(8L, 9L, 10L);
        assertThat(last3.epoch()).isEqualTo(get(h.position(room)).epoch());
        Page after2 = get(h.read(room, 2L, 3));
        assertThat(after2.messages()).extracting(RoomMessage::offset).containsExactly(3L, 4L, 5L);
        Page afterEnd = get(h.read(room, 10L, 3));
        assertThat(afterEnd.messages()).isEmpty();
        Page empty = get(h.read(room + "-never", null, 3));
        assertThat(empty.messages()).isEmpty();
    }

    @Test
    void keepsRoomsApart() throws Exception {
        HistoryStore h = store(100, Duration.ofMinutes(5));
        get(h.append(room, "a", "c", "x", null, System.currentTimeMillis()));
        RoomMessage other = get(h.append(room + "-b", "a", "c", "y", null, System.currentTimeMillis())).message();
        assertThat(other.offset()).isEqualTo(1);
        assertThat(get(h.position(room)).offset()).isEqualTo(1);
    }

    @Test
    void twoNodesAppendingAtOnceGetDistinctGapFreeOffsets() throws Exception {
        HistoryStore node1 = store(1000, Duration.ofMinutes(5));
        HistoryStore node2 = store(1000, Duration.ofMinutes(5));
        int perThread = 100;
        ExecutorService pool = Executors.newFixedThreadPool(4);
        ConcurrentLinkedQueue<Long> offsets = new ConcurrentLinkedQueue<>();
        try {
            List<CompletableFuture<?>> all = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                HistoryStore h = t % 2 == 0 ? node1 : node2;
                int thread = t;
                all.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < perThread; i++) {
                        offsets.add(h.append(room, "u" + thread, "c" + thread, "m", null, System.currentTimeMillis())
                                .toCompletableFuture().join().message().offset());
                    }
                }, pool));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        Set<Long> distinct = new TreeSet<>(offsets);
        assertThat(offsets).hasSize(4 * perThread);
        assertThat(distinct).hasSize(4 * perThread);
        assertThat(distinct).first().isEqualTo(1L);
        assertThat(distinct).last().isEqualTo(4L * perThread);
        assertThat(get(node2.position(room)).epoch()).isEqualTo(get(node1.position(room)).epoch());
    }

    protected void appendN(HistoryStore h, int n) throws Exception {
        for (int i = 1; i <= n; i++) {
            get(h.append(room, "alice", "c-1", "m" + i, null, System.currentTimeMillis()));
        }
    }

    protected static <T> T get(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
