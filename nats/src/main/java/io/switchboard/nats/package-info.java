/**
 * The {@link io.switchboard.core.broker.Broker} over NATS: {@link io.switchboard.nats.NatsBroker} and its
 * {@link io.switchboard.nats.NatsSettings}. Core NATS only (no JetStream): live traffic between nodes is
 * at-most-once, and the hub fills gaps from its history store after a reconnect.
 *
 * <p>Every public type here is thread-safe; listener callbacks run on jnats' dispatcher thread or the
 * broker's own thread, one at a time, and must not block.
 */
package io.switchboard.nats;
