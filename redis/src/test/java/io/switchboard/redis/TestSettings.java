package io.switchboard.redis;

import io.switchboard.testkit.RedisClusterProcess;
import io.switchboard.testkit.RedisServerProcess;

/** Settings for the adapters under test, pointing at a test's own redis-server. */
final class TestSettings {
    private TestSettings() {
    }

    /** Settings pointing at {@code redis}, with a key prefix of its own. */
    static RedisSettings of(RedisServerProcess redis) {
        return RedisSettings.builder().host("127.0.0.1").port(redis.port()).keyPrefix("test:").build();
    }

    /** Settings pointing at a test's own Redis Cluster, seeded with its first node only. */
    static RedisSettings of(RedisClusterProcess cluster) {
        return RedisSettings.builder().mode("cluster").nodes(cluster.addresses().subList(0, 1)).keyPrefix("test:").build();
    }
}
