package io.switchboard.core.history;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.core.TimeSource;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

class MemoryHistoryStoreContractTest extends HistoryStoreContract {
    /** One store per configuration, so that two "nodes" of a test share it as they would share Redis. */
    private final Map<String, HistoryStore> stores = new HashMap<>();

    @Override
    protected HistoryStore store(int size, Duration ttl) {
        return stores.computeIfAbsent(size + "/" + ttl, k -> new MemoryHistoryStore(size, ttl, TimeSource.SYSTEM));
    }

    @Override
    protected HistoryStore store(Retention.Lookup retention) {
        return new MemoryHistoryStore(retention, TimeSource.SYSTEM);
    }

    /** One room's remembered keys are bounded: past the bound the oldest is forgotten, the newest kept. */
    @org.junit.jupiter.api.Test
    void remembersAtMostItsBoundOfKeysPerRoomForgettingTheOldest() throws Exception {
        HistoryStore h = new MemoryHistoryStore(10, Duration.ofMinutes(5), TimeSource.SYSTEM);
        Duration window = Duration.ofMinutes(1);
        for (int i = 0; i <= MemoryHistoryStore.MAX_IDEMPOTENCY_KEYS; i++) {
            get(h.append(room, "a", "c", "m", null, 1L, "k" + i, window));
        }
        int last = MemoryHistoryStore.MAX_IDEMPOTENCY_KEYS;
        assertThat(get(h.append(room, "a", "c", "m", null, 1L, "k" + last, window)).duplicate()).isTrue();
        HistoryStore.Appended forgotten = get(h.append(room, "a", "c", "m", null, 1L, "k0", window));
        assertThat(forgotten.duplicate()).as("the oldest key was forgotten").isFalse();
        assertThat(forgotten.message().offset()).isEqualTo(last + 2L);
    }

    /** The periodic sweep frees the expired messages of a room still in use, not only those of idle rooms. */
    @org.junit.jupiter.api.Test
    void theSweepDropsExpiredMessagesOfARoomInUse() throws Exception {
        long[] now = {1_700_000_000_000L};
        TimeSource clock = new TimeSource() {
            @Override
            public long nanoTime() {
                return now[0] * 1_000_000L;
            }

            @Override
            public long currentTimeMillis() {
                return now[0];
            }
        };
        MemoryHistoryStore h = new MemoryHistoryStore(100, Duration.ofMinutes(5), clock);
        for (int i = 0; i < 10; i++) {
            get(h.append(room, "a", "c", "m" + i, null, now[0]));
        }
        now[0] += Duration.ofMinutes(4).toMillis();
        get(h.append(room, "a", "c", "newer", null, now[0]));
        h.sweep(r -> true);
        assertThat(h.held(room)).as("nothing expired yet").isEqualTo(11);

        now[0] += Duration.ofMinutes(2).toMillis();
        h.sweep(r -> true);
        assertThat(h.held(room)).as("the ten older than the ttl are dropped, the room stays").isEqualTo(1);
        assertThat(get(h.read(room, null, 100)).messages()).extracting(m -> m.content()).containsExactly("newer");
    }
}
