package io.switchboard.redis;

import io.switchboard.core.broker.Broker;
import io.switchboard.core.broker.BrokerContract;
import io.switchboard.testkit.RedisClusterProcess;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The same contract over a three-master Redis Cluster. */
class RedisClusterBrokerContractTest extends BrokerContract {
    private static RedisClusterProcess redis;

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

    @Override
    protected Broker newBroker() {
        return new RedisClusterBroker(TestSettings.of(redis), Duration.ofSeconds(5));
    }
}
