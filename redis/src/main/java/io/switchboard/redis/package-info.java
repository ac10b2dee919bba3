/**
 * Scale-out over Redis (Lettuce): {@link io.switchboard.redis.RedisBroker} carries messages between
 * nodes with pub/sub ({@link io.switchboard.redis.RedisClusterBroker} with sharded pub/sub on a Redis Cluster,
 * {@code redis.mode: cluster}), {@link io.switchboard.redis.RedisHistoryStore} keeps offsets and recent messages
 * in streams, {@link io.switchboard.redis.RedisPresenceStore} keeps who is where with per-entry TTLs.
 *
 * <p>All three share one stance on failure: never block the caller, never queue while Redis is away.
 * The first connection is retried in the background with jittered backoff (100 ms to 5 s) and the
 * constructors never fail for an unreachable Redis; once connected, Lettuce reconnects on its own;
 * commands are rejected at once while disconnected and time out after
 * the command timeout (the cluster's call deadline) when Redis does not answer. A command that timed
 * out may still have been executed by Redis: its caller cannot know. Every key of a room or user
 * carries a hash tag, so multi-key scripts stay within one Redis Cluster slot and the stores work unchanged
 * over a cluster (the package-private {@code StoreClient} picks the client), and an EXPIRE, so a
 * cluster that is gone leaves nothing behind.
 */
package io.switchboard.redis;
