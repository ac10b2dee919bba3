package io.switchboard.redis;

import java.time.Duration;

/** Picks the store's Lettuce client for {@code redis.mode}: kept out of {@link StoreClient}, which the clients implement. */
final class StoreClients {
    private StoreClients() {
    }

    /** A client for {@code settings}; connects nothing yet. */
    static StoreClient create(RedisSettings settings, Duration timeout) {
        return settings.cluster() ? new LettuceClusterClient(settings, timeout) : new LettuceClient(settings, timeout);
    }
}
