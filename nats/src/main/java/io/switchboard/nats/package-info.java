/**
 * Scale-out over NATS. The {@link io.switchboard.core.broker.Broker}, {@link io.switchboard.nats.NatsBroker},
 * is core NATS only: live traffic between nodes is at-most-once, and the hub fills gaps from its history
 * store after a reconnect. The stores run on JetStream: {@link io.switchboard.nats.JetStreamHistoryStore}
 * (room history and offsets in a stream) and {@link io.switchboard.nats.NatsKvPresenceStore} (presence in a
 * KV bucket), so that a cluster can run on NATS alone. All take their connection from
 * {@link io.switchboard.nats.NatsSettings}.
 *
 * <p>Every public type here is thread-safe; listener callbacks run on jnats' dispatcher thread or the
 * broker's own thread, one at a time, and must not block; no store call blocks its caller.
 */
package io.switchboard.nats;
