package io.switchboard.redis;

import io.switchboard.core.presence.PresenceStore;
import io.switchboard.core.presence.PresenceStoreContract;
import io.switchboard.testkit.RedisClusterProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/** The same contract over a three-master Redis Cluster. */
class RedisClusterPresenceStoreContractTest extends PresenceStoreContract {
    private static RedisClusterProcess redis;
    private final List<PresenceStore> stores = new ArrayList<>();

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
    protected PresenceStore store() {
        PresenceStore store = new RedisPresenceStore(TestSettings.of(redis), Duration.ofSeconds(5), Duration.ofMinutes(1));
        stores.add(store);
        return store;
    }

    @AfterEach
    void closeStores() {
        stores.forEach(PresenceStore::close);
    }
}
