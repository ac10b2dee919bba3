package io.switchboard.redis;

import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.util.concurrent.CompletableFuture;

/**
 * The connection a history or presence store sends its commands over, whatever the topology: one server
 * (standalone or Sentinel's master) or a Redis Cluster, where Lettuce routes each command by its first key's
 * slot and follows MOVED and ASK. Every key a store command touches lies in one slot (the {@code {room}} and
 * {@code {user}} hash tags), so one routed command is always one node's work. Thread-safe.
 */
interface StoreConnection {

    /** Commands routed by key; {@code SCRIPT LOAD} on a cluster reaches every node. */
    RedisClusterAsyncCommands<String, String> commands();

    /**
     * Commands that all go to the master serving {@code key}'s slot over one connection, for a write followed by
     * {@code WAIT}: Redis counts the replicas of the writes of the connection that asks. On one server, the same
     * as {@link #commands()}. Fails when the cluster knows no master for the slot.
     */
    CompletableFuture<RedisClusterAsyncCommands<String, String>> pinned(String key);

    /** Closes the connection; commands in flight fail. */
    void closeAsync();

    /** One server's connection. */
    static StoreConnection of(StatefulRedisConnection<String, String> connection) {
        return new StoreConnection() {
            @Override
            public RedisClusterAsyncCommands<String, String> commands() {
                return connection.async();
            }

            @Override
            public CompletableFuture<RedisClusterAsyncCommands<String, String>> pinned(String key) {
                return CompletableFuture.completedFuture(connection.async());
            }

            @Override
            public void closeAsync() {
                connection.closeAsync();
            }
        };
    }
}
