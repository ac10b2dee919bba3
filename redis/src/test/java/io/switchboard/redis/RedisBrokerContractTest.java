package io.switchboard.redis;

import io.switchboard.core.cluster.Broker;
import io.switchboard.core.cluster.BrokerContract;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

class RedisBrokerContractTest extends BrokerContract {
    private static RedisServerProcess redis;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServerProcess.start(false);
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @Override
    protected Broker newBroker() {
        return new RedisBroker(redis.settings(), Duration.ofSeconds(5));
    }
}
