package io.switchboard.core.broker;

import java.util.concurrent.CompletionStage;

/**
 * Carries messages between the nodes of a cluster: room, private and broadcast traffic, published by
 * one node and received by every node subscribed to the channel (ARCHITECTURE.md, scale-out).
 *
 * <p>Channels are strings of {@code [A-Za-z0-9_.:@/-]}, at most 200 characters (the hub builds them
 * from room names and node ids); payloads are opaque bytes. Delivery is at-most-once: a message
 * published while a node is cut off from the broker is lost for that node, which is why the broker
 * reports {@link Listener#onReconnected()} and the hub then reads what it missed from history.
 * Messages from one publisher on one channel arrive in the order they were published; messages
 * from different publishers may interleave in any order. A broker may or may not deliver a node's
 * own publications back to it; the hub recognises and ignores them.
 *
 * <p>Implementations are thread-safe. Listener callbacks run on the implementation's own threads,
 * one at a time per broker instance, and must not block.
 */
public interface Broker extends AutoCloseable {

    /** Receives what other nodes publish on the channels this node subscribed to. */
    interface Listener {
        /** One message, in publish order per publisher and channel. Must not block. */
        void onMessage(String channel, byte[] payload);

        /**
         * The connection to the broker was lost and is back, with every subscription restored.
         * Messages published in between were not delivered.
         */
        void onReconnected();
    }

    /** Connects and starts delivering to {@code listener}; completes once the broker is usable. Called once. */
    CompletionStage<Void> start(Listener listener);

    /** Subscribes this node to a channel; completes once messages published from now on will arrive. */
    CompletionStage<Void> subscribe(String channel);

    /** Unsubscribes; messages may still arrive for a short while after. */
    CompletionStage<Void> unsubscribe(String channel);

    /** Publishes to every node subscribed to {@code channel}; completes when the broker accepted it. */
    CompletionStage<Void> publish(String channel, byte[] payload);

    /** True while the broker is reachable as far as this node knows. */
    boolean isConnected();

    /**
     * Whether a publication can reach another node. False lets a single node skip encoding what nobody
     * would receive; implementations over a network return true.
     */
    default boolean reachesOtherNodes() {
        return true;
    }

    /**
     * Probes of this broker's own subscription that did not come back in time since start (see the Redis
     * broker's self-delivery probe); 0 for a broker that does not probe itself.
     */
    default long probesMissed() {
        return 0;
    }

    /** A short name for logs and health checks, e.g. {@code redis 127.0.0.1:6379/0}. */
    String describe();

    /** Disconnects; pending operations fail. Idempotent. */
    @Override
    void close();
}
