package io.switchboard.redis;

import io.switchboard.testkit.RedisServerProcess;
import java.time.Duration;

/** Settings for the adapters under test, pointing at a test's own redis-server. */
final class TestSettings {
    private TestSettings() {
    }

    /** Settings pointing at {@code redis}, with a key prefix of its own. */
    static RedisSettings of(RedisServerProcess redis, Duration timeout) {
        return new RedisSettings("127.0.0.1", redis.port(), null, 0, timeout, "test:");
    }
}
