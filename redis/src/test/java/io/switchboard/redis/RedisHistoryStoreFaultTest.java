package io.switchboard.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisCommandTimeoutException;
import io.switchboard.core.history.HistoryStore;
import io.switchboard.core.history.HistoryStore.Position;
import io.switchboard.core.history.HistoryStore.Recovery;
import io.switchboard.protocol.ServerMessage.RoomMessage;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.RedisServerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** History against a Redis that dies, freezes or forgets, and its retention by age: one redis-server per test. */
class RedisHistoryStoreFaultTest {
    private static final Duration TIMEOUT = Duration.ofMillis(500);
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String ROOM = "chat:lobby/1";

    private RedisServerProcess redis;
    private final List<RedisHistoryStore> stores = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        stores.forEach(RedisHistoryStore::close);
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void keepsOffsetsAndEpochAcrossKill9WhenRedisPersistsToItsAppendOnlyFile() throws Exception {
        redis = RedisServerProcess.start(true);
        RedisHistoryStore h = store(100, Duration.ofMinutes(5));
        appendN(h, 3);
        Position before = Await.get(h.position(ROOM), WAIT);

        redis.kill9();
        redis.restart();

        Position after = Await.succeeds("the store reconnects", WAIT, () -> h.position(ROOM));
        assertThat(after).isEqualTo(before);
        assertThat(Await.get(h.append(ROOM, "u", "c", "m4", null, System.currentTimeMillis()), WAIT).message().offset())
                .isEqualTo(4);
        Recovery r = Await.get(h.recover(ROOM, 1, before.epoch()), WAIT);
        assertThat(r.recovered()).isTrue();
        assertThat(r.messages()).extracting(RoomMessage::content).containsExactly("m2", "m3", "m4");
    }

    @Test
    void startsANewEpochWhenRedisRestartsWithoutItsData() throws Exception {
        redis = RedisServerProcess.start(false);
        RedisHistoryStore h = store(100, Duration.ofMinutes(5));
        appendN(h, 3);
        Position before = Await.get(h.position(ROOM), WAIT);

        redis.kill9();
        redis.restart();

        Position after = Await.succeeds("the store reconnects", WAIT, () -> h.position(ROOM));
        assertThat(after.offset()).isZero();
        assertThat(after.epoch()).isNotEqualTo(before.epoch());
        Recovery r = Await.get(h.recover(ROOM, 3, before.epoch()), WAIT);
        assertThat(r.recovered()).as("offsets of the lost lineage cannot be recovered").isFalse();
        assertThat(r.position()).isEqualTo(after);
    }

    @Test
    void failsWithinTwiceTheTimeoutWhileRedisIsFrozen() throws Exception {
        redis = RedisServerProcess.start(false);
        RedisHistoryStore h = store(100, Duration.ofMinutes(5));
        appendN(h, 1);

        redis.stop();
        try {
            long t0 = System.nanoTime();
            CompletableFuture<HistoryStore.Appended> frozen =
                    h.append(ROOM, "u", "c", "frozen", null, System.currentTimeMillis()).toCompletableFuture();
            assertThatThrownBy(() -> frozen.get(2 * TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(RedisCommandTimeoutException.class);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(2 * TIMEOUT.toMillis());
        } finally {
            redis.cont();
        }
        // The timed-out append was on the wire and Redis ran it after all: offsets stay gap-free, the
        // outcome of that one call is unknown to its caller.
        RoomMessage next = Await.get(h.append(ROOM, "u", "c", "thawed", null, System.currentTimeMillis()), WAIT)
                .message();
        assertThat(next.offset()).isEqualTo(3);
    }

    @Test
    void callsFailFastWhileRedisIsDownAndWorkAgainOnceItIsBack() throws Exception {
        redis = RedisServerProcess.start(true);
        RedisHistoryStore h = store(100, Duration.ofMinutes(5));
        appendN(h, 2);
        redis.kill9();
        Await.until("a call fails fast", WAIT, () -> {
            long t0 = System.nanoTime();
            try {
                h.position(ROOM).toCompletableFuture().get(TIMEOUT.toMillis() / 2, TimeUnit.MILLISECONDS);
                return false;
            } catch (ExecutionException e) {
                return System.nanoTime() - t0 < TIMEOUT.toNanos() / 2;
            } catch (Exception e) {
                return false;
            }
        });
        redis.restart();
        assertThat(Await.succeeds("appends work again", WAIT,
                () -> h.append(ROOM, "u", "c", "back", null, System.currentTimeMillis())).message().offset()).isEqualTo(3);
    }

    @Test
    void dropsMessagesOlderThanTheTtlAndForgetsAnIdleRoom() throws Exception {
        redis = RedisServerProcess.start(false);
        Duration ttl = Duration.ofSeconds(1);
        RedisHistoryStore h = store(100, ttl);
        Await.get(h.append(ROOM, "u", "c", "old", null, System.currentTimeMillis()), WAIT);
        String epoch = Await.get(h.position(ROOM), WAIT).epoch();
        Thread.sleep(700);
        Await.get(h.append(ROOM, "u", "c", "new", null, System.currentTimeMillis()), WAIT);
        Thread.sleep(400); // "old" is now more than a second old, "new" about 0.4 s

        assertThat(Await.get(h.read(ROOM, null, 10), WAIT).messages()).extracting(RoomMessage::content)
                .containsExactly("new");
        assertThat(Await.get(h.recover(ROOM, 0, epoch), WAIT).recovered()).as("offset 1 expired").isFalse();
        Recovery fromOne = Await.get(h.recover(ROOM, 1, epoch), WAIT);
        assertThat(fromOne.recovered()).isTrue();
        assertThat(fromOne.messages()).extracting(RoomMessage::offset).containsExactly(2L);

        Thread.sleep(ttl.toMillis() + 200); // nobody touches the room for longer than the ttl
        assertThat(redis.call("EXISTS", "test:history:{" + ROOM + "}:meta")).isEqualTo(":0");
        Position fresh = Await.get(h.position(ROOM), WAIT);
        assertThat(fresh.offset()).isZero();
        assertThat(fresh.epoch()).isNotEqualTo(epoch);
    }

    /** A store that has connected (the first call waits only up to the short timeout for that). */
    private RedisHistoryStore store(int size, Duration ttl) throws Exception {
        RedisHistoryStore store = new RedisHistoryStore(TestSettings.of(redis), TIMEOUT, size, ttl);
        stores.add(store);
        Await.succeeds("the store connects", WAIT, () -> store.read("warm-up", null, 0));
        return store;
    }

    private static void appendN(RedisHistoryStore h, int n) throws Exception {
        for (int i = 1; i <= n; i++) {
            Await.get(h.append(ROOM, "u", "c", "m" + i, null, System.currentTimeMillis()), WAIT);
        }
    }
}
