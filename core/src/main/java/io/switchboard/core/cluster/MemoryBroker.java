package io.switchboard.core.cluster;

import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The broker of a single node, and of several nodes inside one process when they share a {@link Bus}.
 * Delivery is synchronous, on the publisher's thread; a node never receives its own publications. A
 * node alone on its bus (the embedded default) publishes into nothing at the cost of one map lookup.
 */
public final class MemoryBroker implements Broker {

    /** Connects the memory brokers of the nodes of one process. Thread-safe. */
    public static final class Bus {
        private final CopyOnWriteArrayList<MemoryBroker> brokers = new CopyOnWriteArrayList<>();

        /** A new node's broker on this bus. */
        public MemoryBroker broker() {
            return new MemoryBroker(this);
        }
    }

    private final Bus bus;
    private final Set<String> channels = ConcurrentHashMap.newKeySet();
    private volatile Listener listener;

    /** A broker alone on its own bus: today's single node. */
    public MemoryBroker() {
        this(new Bus());
    }

    private MemoryBroker(Bus bus) {
        this.bus = bus;
    }

    @Override
    public CompletionStage<Void> start(Listener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        bus.brokers.addIfAbsent(this);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> subscribe(String channel) {
        channels.add(channel);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> unsubscribe(String channel) {
        channels.remove(channel);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> publish(String channel, byte[] payload) {
        for (MemoryBroker other : bus.brokers) {
            if (other != this && other.channels.contains(channel)) {
                Listener l = other.listener;
                if (l != null) {
                    l.onMessage(channel, payload);
                }
            }
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public boolean reachesOtherNodes() {
        return bus.brokers.size() > 1;
    }

    @Override
    public boolean isConnected() {
        return true;
    }

    @Override
    public String describe() {
        return "memory";
    }

    @Override
    public void close() {
        bus.brokers.remove(this);
        channels.clear();
    }
}
