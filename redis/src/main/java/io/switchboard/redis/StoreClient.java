package io.switchboard.redis;

import io.netty.util.concurrent.EventExecutorGroup;
import java.util.concurrent.CompletionStage;

/**
 * The Lettuce client a store connects with: {@link LettuceClient} for one server or Sentinel, or
 * {@link LettuceClusterClient} for a Redis Cluster, as {@code redis.mode} says ({@link StoreClients} picks).
 * Thread-safe.
 */
interface StoreClient {

    /** One connection attempt with the store codec (strings); fails as the attempt does. */
    CompletionStage<StoreConnection> connectStore();

    /**
     * A store command failed: a cluster client reloads its topology soon, since the failure may be a master that
     * died and has been replaced. Must not block.
     */
    default void commandFailed() {
    }

    /** The client's computation threads; runs retries and probes. */
    EventExecutorGroup executor();

    /** Closes every connection and stops the threads. Blocks up to a few seconds; never call it on them. */
    void close();
}
