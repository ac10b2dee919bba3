package io.switchboard.redis;

import io.switchboard.core.broker.Broker;
import io.switchboard.core.broker.BrokerContract;
import io.switchboard.testkit.RedisServerProcess;
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
        return new RedisBroker(TestSettings.of(redis), Duration.ofSeconds(5));
    }
}
