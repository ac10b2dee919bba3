/**
 * The hub: connections, rooms, fan-out, history and recovery, independent of any transport. {@link Hub} is the
 * facade the server calls; {@link Connection}, {@link Shard}, {@link JoinResult}, {@link JoinCallback} and
 * {@link HubStats} are the types it hands out. Everything else here is the package-private engine, one class per
 * concern, each given a {@code HubContext} instead of the Hub.
 *
 * <h2>Threading model</h2>
 * <ul>
 *   <li>A {@link Connection} is confined to its {@link Shard}: one
 *       {@link java.util.concurrent.Executor} (in the server, the channel's Netty event loop) reads its
 *       commands and writes its frames, so per-connection state needs no locks. Every hub method that takes
 *       a connection ({@code join}, {@code leave}, {@code publish} from a client, {@code disconnect}) must be
 *       called on that connection's shard.</li>
 *   <li>Room membership is sharded: a room keeps, per shard, the members that live on it, in an array only
 *       that shard's thread reads or writes. A publish costs one task per shard holding members, never one
 *       task per member; the task writes the one pre-built frame to each member and flushes each written
 *       connection once per batch.</li>
 *   <li>A room's monitor orders its publishes: offset assignment, history append and the enqueueing of the
 *       shard tasks happen under it, and shard executors are FIFO, so every member sees a room's messages in
 *       offset order. Joins take the same monitor, which makes "replay from history, then live" exact.</li>
 *   <li>Executors are bounded by {@code hub.maxPendingFanouts}: a publish that would queue more tasks on a
 *       shard fails with {@code unavailable} instead of growing the queue.</li>
 * </ul>
 */
package io.switchboard.core.hub;
