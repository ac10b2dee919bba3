package io.switchboard.redis;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sharded pub/sub subscriptions of a {@link RedisClusterBroker}: each channel is subscribed ({@code SSUBSCRIBE})
 * on a connection to the master serving its slot, one connection per master, opened when a master gets its first
 * channel and closed when it has none left. {@link #sync()} brings the subscriptions in line with the wanted
 * channels and the topology Lettuce last loaded: after a failover the promoted replica serves the slots of the
 * master that died, so their channels are subscribed on it, and the dead master's connection, left without
 * channels, is closed.
 *
 * <p>Whenever a subscription may have missed messages (its connection dropped, Redis unsubscribed it because its
 * slot moved, a subscribe failed, or it moved to another master), the next time every wanted channel is subscribed
 * again {@link Events#restored()} is called once, so that the hub reads what it missed from history.
 *
 * <p>Thread-safe: the assignment is guarded by this object; Lettuce callbacks and commands never run under the
 * lock's waits (commands are asynchronous). Deliveries from different connections are handed to
 * {@link Events#message} one at a time under a lock of their own.
 */
final class ShardSubscriptions implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ShardSubscriptions.class);
    static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    /** What the broker hears. Called without this object's lock held. */
    interface Events {
        /** A message on a wanted channel; calls are serialized. */
        void message(String channel, byte[] payload);

        /** Every wanted channel is subscribed again after some may have missed messages. */
        void restored();
    }

    /** One master's subscribed connection and the channels it serves. */
    private final class Node {
        final String address;
        final CompletableFuture<StatefulRedisPubSubConnection<String, byte[]>> connection;
        final Set<String> channels = new HashSet<>();
        /** Set when the connection dropped; a connect that follows is a reconnect. Guarded by the outer object. */
        boolean dropped;

        Node(String address, RedisClusterNode master) {
            this.address = address;
            this.connection = lettuce.nodes()
                    .connectPubSubAsync(CODEC, lettuce.uri(master.getUri().getHost(), master.getUri().getPort()))
                    .toCompletableFuture();
            connection.whenComplete((c, e) -> {
                if (e == null) {
                    c.addListener(new Delivery(this));
                }
            });
        }

        void close() {
            connection.whenComplete((c, e) -> {
                if (c != null) {
                    c.closeAsync();
                }
            });
        }
    }

    private final String name;
    private final LettuceClusterClient lettuce;
    /** The channels to hold (with the prefix); owned by the broker, read here. */
    private final Set<String> wanted;
    private final Events events;
    private final Object delivering = new Object();
    /** Addresses whose last subscribe failed, warned about once. */
    private final Set<String> failing = ConcurrentHashMap.newKeySet();

    /** Master address to its connection. Guarded by this. */
    private final Map<String, Node> nodes = new HashMap<>();
    /** Channel to the node it is subscribed on, or being subscribed on. Guarded by this. */
    private final Map<String, Node> assigned = new HashMap<>();
    /** Channel to the outcome of its latest subscribe. Guarded by this. */
    private final Map<String, CompletableFuture<Void>> confirmations = new HashMap<>();
    /** Set when a subscription may have missed messages; cleared when all are back. Guarded by this. */
    private boolean gap;
    private boolean closed;

    ShardSubscriptions(String name, LettuceClusterClient lettuce, Set<String> wanted, Events events) {
        this.name = name;
        this.lettuce = lettuce;
        this.wanted = wanted;
        this.events = events;
        lettuce.nodes().addListener(new Reconnects());
    }

    /**
     * Subscribes each wanted channel that is not subscribed on the master now serving its slot, and drops what is no
     * longer wanted or served. Channels whose slot no master serves stay unsubscribed until a later call.
     *
     * @return completes when the subscribes this call issued were confirmed; never fails
     */
    CompletableFuture<Void> sync() {
        List<CompletableFuture<Void>> issued = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return CompletableFuture.completedFuture(null);
            }
            Partitions partitions = lettuce.partitions();
            Map<Node, List<String>> toSubscribe = new HashMap<>();
            for (String channel : wanted) {
                place(channel, partitions, toSubscribe);
            }
            for (Iterator<Map.Entry<String, Node>> it = assigned.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, Node> e = it.next();
                if (!wanted.contains(e.getKey())) {
                    e.getValue().channels.remove(e.getKey());
                    confirmations.remove(e.getKey());
                    it.remove();
                }
            }
            closeIdle();
            toSubscribe.forEach((node, channels) -> issued.add(subscribe(node, channels)));
        }
        return CompletableFuture.allOf(issued.toArray(CompletableFuture[]::new)).handle((v, e) -> {
            maybeRestored();
            return null;
        });
    }

    /**
     * Subscribes one wanted channel on the master serving its slot, unless it is already: what a join needs,
     * without the walk over every channel that {@link #sync()} makes.
     *
     * @return completes when the channel is subscribed; fails when that failed or no master serves its slot
     */
    CompletableFuture<Void> add(String channel) {
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException(name + " is closed"));
            }
            Map<Node, List<String>> toSubscribe = new HashMap<>();
            place(channel, lettuce.partitions(), toSubscribe);
            toSubscribe.forEach(this::subscribe);
        }
        return confirmation(channel);
    }

    /** Guarded by this. Assigns a channel to the master serving its slot, noting a subscribe to issue. */
    private void place(String channel, Partitions partitions, Map<Node, List<String>> toSubscribe) {
        RedisClusterNode master = partitions.isEmpty() ? null : partitions.getMasterBySlot(SlotHash.getSlot(channel));
        Node current = assigned.get(channel);
        if (master == null) {
            if (current != null) {
                unassign(channel, current);
            }
            return;
        }
        String address = master.getUri().getHost() + ":" + master.getUri().getPort();
        if (current != null && current.address.equals(address)) {
            return;
        }
        if (current != null) {
            unassign(channel, current);
        }
        Node node = nodes.computeIfAbsent(address, a -> new Node(a, master));
        node.channels.add(channel);
        assigned.put(channel, node);
        toSubscribe.computeIfAbsent(node, n -> new ArrayList<>()).add(channel);
    }

    /** Completes when {@code channel}'s latest subscribe was confirmed; fails when it failed or none was issued. */
    synchronized CompletableFuture<Void> confirmation(String channel) {
        CompletableFuture<Void> c = confirmations.get(channel);
        return c != null ? c.copy() : CompletableFuture.failedFuture(
                new IllegalStateException("no Redis Cluster master serves the slot of " + channel + " yet"));
    }

    /** Unsubscribes a channel that is no longer wanted; best effort. */
    CompletableFuture<Void> drop(String channel) {
        Node node;
        synchronized (this) {
            node = assigned.remove(channel);
            confirmations.remove(channel);
            if (node == null) {
                return CompletableFuture.completedFuture(null);
            }
            node.channels.remove(channel);
        }
        return node.connection.thenCompose(c -> c.async().sunsubscribe(channel).toCompletableFuture());
    }

    /** Whether every one of {@code channels} is confirmed as subscribed. */
    synchronized boolean confirmed(Collection<String> channels) {
        for (String channel : channels) {
            CompletableFuture<Void> c = confirmations.get(channel);
            if (c == null || !c.isDone() || c.isCompletedExceptionally()) {
                return false;
            }
        }
        return true;
    }

    /** Channels wanted but not (yet) confirmed as subscribed. */
    synchronized int unconfirmed() {
        int n = 0;
        for (String channel : wanted) {
            CompletableFuture<Void> c = confirmations.get(channel);
            if (c == null || !c.isDone() || c.isCompletedExceptionally()) {
                n++;
            }
        }
        return n;
    }

    /** Replaces every connection with a fresh one and subscribes everything again (a probe went missing). */
    CompletableFuture<Void> renew() {
        synchronized (this) {
            nodes.values().forEach(Node::close);
            nodes.clear();
            assigned.clear();
            confirmations.clear();
            gap = true;
        }
        return sync();
    }

    @Override
    public synchronized void close() {
        closed = true;
        nodes.values().forEach(Node::close);
        nodes.clear();
        assigned.clear();
    }

    /** Subscribes {@code channels} on {@code node}; a failure unassigns them, so that the next sync tries again. */
    private CompletableFuture<Void> subscribe(Node node, List<String> channels) {
        // One SSUBSCRIBE per slot: Redis refuses one naming channels of several slots (CROSSSLOT).
        Map<Integer, List<String>> bySlot = new HashMap<>();
        channels.forEach(ch -> bySlot.computeIfAbsent(SlotHash.getSlot(ch), k -> new ArrayList<>()).add(ch));
        CompletableFuture<Void> done = node.connection.thenCompose(c -> CompletableFuture.allOf(bySlot.values().stream()
                .map(group -> c.async().ssubscribe(group.toArray(String[]::new)).toCompletableFuture())
                .toArray(CompletableFuture[]::new)));
        channels.forEach(ch -> confirmations.put(ch, done));
        return done.whenComplete((v, e) -> {
            if (e != null) {
                // Retried every sync until the topology moves the channels elsewhere: one warning per address.
                if (failing.add(node.address)) {
                    log.warn("{}: subscribing {} channels on {} failed ({}); retrying", name, channels.size(),
                            node.address, Connector.describe(e));
                }
                synchronized (this) {
                    for (String ch : channels) {
                        if (assigned.get(ch) == node) {
                            unassign(ch, node);
                        }
                    }
                }
            } else if (failing.remove(node.address)) {
                log.info("{}: subscribing on {} works again", name, node.address);
            }
        });
    }

    /** Guarded by this. The channel's subscription on {@code node} ends; it may have missed messages. */
    private void unassign(String channel, Node node) {
        assigned.remove(channel);
        confirmations.remove(channel);
        if (node.channels.remove(channel)) {
            gap = true;
            node.connection.thenAccept(c -> c.async().sunsubscribe(channel));
        }
    }

    /** Guarded by this. */
    private void closeIdle() {
        for (Iterator<Node> it = nodes.values().iterator(); it.hasNext(); ) {
            Node node = it.next();
            if (node.channels.isEmpty()) {
                node.close();
                it.remove();
            }
        }
    }

    private void maybeRestored() {
        synchronized (this) {
            if (!gap || closed || unconfirmed() > 0) {
                return;
            }
            gap = false;
        }
        log.info("{}: every sharded subscription is back; {} channels", name, wanted.size());
        events.restored();
    }

    /** A connection's channels after Lettuce reconnected it: subscribed again, and restored heard once they are. */
    private void resubscribe(Node node) {
        List<String> channels;
        synchronized (this) {
            if (closed || nodes.get(node.address) != node || !node.dropped || node.channels.isEmpty()) {
                return;
            }
            node.dropped = false;
            gap = true;
            channels = new ArrayList<>(node.channels);
            subscribe(node, channels);
        }
        confirmation(channels.get(0)).handle((v, e) -> {
            maybeRestored();
            return null;
        });
    }

    private Node owner(RedisChannelHandler<?, ?> connection) {
        synchronized (this) {
            for (Node node : nodes.values()) {
                if (node.connection.getNow(null) == connection) {
                    return node;
                }
            }
            return null;
        }
    }

    /** Hands one connection's messages to the broker, serialized with the other connections' messages. */
    private final class Delivery extends RedisPubSubAdapter<String, byte[]> {
        private final Node node;

        Delivery(Node node) {
            this.node = node;
        }

        @Override
        public void smessage(String channel, byte[] payload) {
            if (!wanted.contains(channel)) {
                return;
            }
            synchronized (delivering) {
                events.message(channel, payload);
            }
        }

        /** Redis unsubscribes a shard channel itself when its slot moves away: subscribe it where it went. */
        @Override
        public void sunsubscribed(String channel, long count) {
            boolean lost;
            synchronized (ShardSubscriptions.this) {
                lost = assigned.get(channel) == node && wanted.contains(channel);
                if (lost) {
                    unassign(channel, node);
                }
            }
            if (lost) {
                log.info("{}: Redis unsubscribed {} on {} (its slot moved); subscribing it where it went", name,
                        channel, node.address);
                lettuce.executor().execute(ShardSubscriptions.this::sync);
            }
        }
    }

    /** A dropped node connection may have lost messages; once Lettuce reconnected it, its channels are resubscribed. */
    private final class Reconnects implements RedisConnectionStateListener {
        @Override
        public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
            Node node = owner(connection);
            if (node != null) {
                resubscribe(node);
            }
        }

        @Override
        public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
            Node node = owner(connection);
            if (node != null) {
                synchronized (ShardSubscriptions.this) {
                    node.dropped = true;
                    gap = true;
                    // Unconfirmed until subscribed again, here after a reconnect or on another master.
                    node.channels.forEach(confirmations::remove);
                }
                log.warn("{}: subscribed connection to {} lost; Lettuce reconnects while the topology is reloaded",
                        name, node.address);
            }
        }
    }
}
