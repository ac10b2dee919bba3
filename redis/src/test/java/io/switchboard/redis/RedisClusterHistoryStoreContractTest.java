package io.switchboard.redis;

import io.switchboard.core.history.HistoryStore;
import io.switchboard.core.history.HistoryStoreContract;
import io.switchboard.core.history.Retention;
import io.switchboard.testkit.RedisClusterProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/** The same contract over a three-master Redis Cluster. */
class RedisClusterHistoryStoreContractTest extends HistoryStoreContract {
    private static RedisClusterProcess redis;
    private final List<HistoryStore> stores = new ArrayList<>();

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisClusterProcess.start(3, 0, Duration.ofSeconds(5));
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    /** A new client per call: two calls are two nodes sharing one Redis. */
    @Override
    protected HistoryStore store(int size, Duration ttl) {
        HistoryStore store = new RedisHistoryStore(TestSettings.of(redis), Duration.ofSeconds(5), size, ttl);
        stores.add(store);
        return store;
    }

    @Override
    protected HistoryStore store(Retention.Lookup retention) {
        HistoryStore store = new RedisHistoryStore(TestSettings.of(redis), Duration.ofSeconds(5), retention);
        stores.add(store);
        return store;
    }

    @AfterEach
    void closeStores() {
        stores.forEach(HistoryStore::close);
    }
}
