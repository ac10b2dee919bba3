package io.switchboard.core.broker;

import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The broker of a single node, and of several nodes inside one process when they share a {@link Bus}.
 * Each receiving node gets its messages on its own delivery thread (started on first delivery), in
 * publish order, through a queue of at most {@link #MAX_QUEUED} messages; beyond, messages are dropped
 * as a network broker would drop them for a node that cannot keep up. A node never receives its own
 * publications. A node alone on its bus (the embedded default) publishes into nothing at the cost of a
 * loop over one element, and never starts a thread.
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

    /** Messages waiting for one receiving node's delivery thread. */
    static final int MAX_QUEUED = 100_000;
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MemoryBroker.class);

    private final Bus bus;
    private final Set<String> channels = ConcurrentHashMap.newKeySet();
    private volatile Listener listener;
    private volatile java.util.concurrent.ThreadPoolExecutor delivery;

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
                other.deliver(channel, payload);
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

    private void deliver(String channel, byte[] payload) {
        Listener l = listener;
        if (l == null) {
            return;
        }
        try {
            deliveryThread().execute(() -> l.onMessage(channel, payload));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.warn("dropped a message on {}: the receiving node is closed or {} messages behind", channel,
                    MAX_QUEUED);
        }
    }

    private java.util.concurrent.ThreadPoolExecutor deliveryThread() {
        java.util.concurrent.ThreadPoolExecutor d = delivery;
        if (d == null) {
            synchronized (this) {
                d = delivery;
                if (d == null) {
                    d = new java.util.concurrent.ThreadPoolExecutor(1, 1, 0, java.util.concurrent.TimeUnit.SECONDS,
                            new java.util.concurrent.LinkedBlockingQueue<>(MAX_QUEUED), r -> {
                                Thread t = new Thread(r, "switchboard-memory-broker");
                                t.setDaemon(true);
                                return t;
                            });
                    delivery = d;
                }
            }
        }
        return d;
    }

    @Override
    public void close() {
        bus.brokers.remove(this);
        channels.clear();
        synchronized (this) {
            if (delivery != null) {
                delivery.shutdownNow();
            }
        }
    }
}
