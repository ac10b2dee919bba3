package io.switchboard.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.core.presence.PresenceStore;
import io.switchboard.core.presence.PresenceStore.UserConnection;
import io.switchboard.core.presence.PresenceStoreContract;
import io.switchboard.testkit.RedisClusterProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

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

    /** A script call on a Cluster may name one slot's keys only: the users' keys are in several slots. */
    @Test
    void refreshWritesEveryEntryOfUsersInManySlotsAndOfAUserWithMoreThanOneCallsWorth() throws Exception {
        PresenceStore s = store();
        int many = RedisPresenceStore.REFRESH_CHUNK + 1;
        List<UserConnection> connections = new ArrayList<>();
        for (int i = 0; i < many; i++) {
            connections.add(new UserConnection(tag + "-many", "c-m" + i, "na"));
        }
        for (int u = 0; u < 20; u++) {
            connections.add(new UserConnection(tag + "-u" + u, "c-" + u, "na"));
        }
        get(s.refresh("na", List.of(), connections));
        assertThat(get(s.connections(tag + "-many"))).hasSize(many);
        for (int u = 0; u < 20; u++) {
            assertThat(get(s.connections(tag + "-u" + u)))
                    .containsExactly(new UserConnection(tag + "-u" + u, "c-" + u, "na"));
        }
    }

    @AfterEach
    void closeStores() {
        stores.forEach(PresenceStore::close);
    }
}
