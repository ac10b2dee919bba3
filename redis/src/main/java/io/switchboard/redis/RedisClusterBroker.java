package io.switchboard.redis;

import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.netty.util.concurrent.ScheduledFuture;
import io.switchboard.core.broker.Broker;
import io.switchboard.protocol.internal.Failures;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Broker} over the sharded pub/sub of a Redis Cluster ({@code redis.mode: cluster}, Redis 7 or later).
 * Thread-safe. Channel {@code c} is the shard channel {@code keyPrefix + c}: it lives in the slot of its name, a
 * room's traffic reaches only the master serving that slot (and its replicas), and nodes subscribe to it there
 * ({@link ShardSubscriptions}). Private and broadcast channels are shard channels like the rooms'. Publishing is
 * {@code SPUBLISH} over Lettuce's routed cluster connection, which follows MOVED redirects.
 *
 * <p>Lifecycle and failures, as {@link RedisBroker} where not said otherwise:
 * <ul>
 *   <li>{@link #start} connects in the background, retrying until the cluster answers; the stage completes once the
 *       topology is known and the channels subscribed so far are subscribed.
 *   <li>Every {@link #SYNC_INTERVAL} the subscriptions are brought in line with the topology Lettuce last loaded
 *       (see {@link LettuceClusterClient} for when it reloads): after a failover, a master's channels are
 *       subscribed on the replica that replaced it, and the listener hears {@link Listener#onReconnected()} once
 *       every channel is subscribed again.
 *   <li>The self-delivery probe publishes to one probe channel per master (a name of this broker's that hashes to a
 *       slot the master serves) and counts a probe as back only when every master delivered it, so a silent
 *       subscription on any shard is caught; a miss renews every subscribed connection.
 * </ul>
 */
public final class RedisClusterBroker implements Broker {
    private static final Logger log = LoggerFactory.getLogger(RedisClusterBroker.class);

    /** How often subscriptions are checked against the topology: a failover is followed within about this long. */
    static final Duration SYNC_INTERVAL = Duration.ofMillis(250);

    /** Probe channel names tried per topology before giving up on a master serving only a few slots. */
    private static final int PROBE_CANDIDATES = 4096;

    private final RedisSettings settings;
    private final Duration timeout;
    private final String prefix;
    private final LettuceClusterClient lettuce;
    private final Connector<StatefulRedisClusterConnection<String, byte[]>> connector;
    /** Shard channel names (with the prefix) this node holds, probe channels included. */
    private final Set<String> channels = ConcurrentHashMap.newKeySet();
    private final ShardSubscriptions shards;
    private final AtomicReference<Listener> listener = new AtomicReference<>();
    private final AtomicBoolean stalled = new AtomicBoolean();
    private volatile boolean closed;
    private ScheduledFuture<?> syncing;

    /** Probe channels start with this; unique per broker instance. */
    private final String probeBase;
    /** The probe channel of each master, by address. */
    private volatile Map<String, String> probeChannels = Map.of();
    /** Null when probing is off. */
    private final SelfProbe probe;
    /** The probe payload in flight and the probe channels it has yet to come back on. Guarded by itself. */
    private final Set<String> probeAwaited = new HashSet<>();
    private byte[] probePayload;

    /**
     * A broker for {@code settings} (which must be in cluster mode); connects when started.
     *
     * @param timeout deadline of each command and of the TCP connect (the cluster's call deadline); positive
     */
    public RedisClusterBroker(RedisSettings settings, Duration timeout) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (!settings.cluster()) {
            throw new IllegalArgumentException("RedisClusterBroker needs redis.mode cluster, was " + settings.mode());
        }
        this.prefix = settings.keyPrefix();
        this.lettuce = new LettuceClusterClient(settings, timeout);
        this.connector = new Connector<>("broker " + describe(), lettuce.executor(), timeout,
                () -> lettuce.connect(ShardSubscriptions.CODEC), c -> c.closeAsync());
        this.shards = new ShardSubscriptions("broker " + describe(), lettuce, channels, new ShardSubscriptions.Events() {
            @Override
            public void message(String channel, byte[] payload) {
                deliver(channel, payload);
            }

            @Override
            public void restored() {
                notifyReconnected();
            }
        });
        this.probeBase = prefix + "probe." + UUID.randomUUID() + ".";
        this.probe = settings.probing()
                ? new SelfProbe("broker " + describe(), settings.probeInterval(), settings.probeTimeout(),
                        this::probeReady, this::publishProbe, shards::renew)
                : null;
    }

    @Override
    public CompletionStage<Void> start(Listener listener) {
        Objects.requireNonNull(listener, "listener");
        if (!this.listener.compareAndSet(null, listener)) {
            throw new IllegalStateException("already started");
        }
        connector.start();
        return connector.connected().thenCompose(c -> {
            refreshProbeChannels();
            CompletableFuture<Void> first = shards.sync();
            startSyncing();
            if (probe != null) {
                probe.start(lettuce.executor());
            }
            return first;
        });
    }

    @Override
    public CompletionStage<Void> subscribe(String channel) {
        String key = prefix + channel;
        channels.add(key);
        return connector.await().thenCompose(c -> shards.add(key));
    }

    @Override
    public CompletionStage<Void> unsubscribe(String channel) {
        String key = prefix + channel;
        channels.remove(key);
        return connector.await().thenCompose(c -> shards.drop(key));
    }

    @Override
    public CompletionStage<Void> publish(String channel, byte[] payload) {
        return connector.await().thenCompose(c -> spublish(c, prefix + channel, payload)).thenApply(n -> null);
    }

    private CompletableFuture<Long> spublish(StatefulRedisClusterConnection<String, byte[]> c, String channel,
                                             byte[] payload) {
        return watch(c.async().spublish(channel, payload).toCompletableFuture()).whenComplete((n, e) -> {
            if (e != null) {
                lettuce.refreshSoon();
            }
        });
    }

    /**
     * True while the publishing connection is up, the cluster answered the last command in time, every channel is
     * subscribed on the master serving it, and the last probe came back from every master.
     */
    @Override
    public boolean isConnected() {
        return connectionsOpen() && !stalled.get() && (probe == null || !probe.failing()) && shards.unconfirmed() == 0;
    }

    @Override
    public long probesMissed() {
        return probe == null ? 0 : probe.misses();
    }

    @Override
    public String describe() {
        return "redis " + settings.address();
    }

    /** Disconnects; pending commands fail. Idempotent; do not call it from a listener callback. */
    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            if (syncing != null) {
                syncing.cancel(false);
            }
        }
        if (probe != null) {
            probe.close();
        }
        shards.close();
        connector.close();
        lettuce.close();
    }

    /** Probes go out once every probe channel is subscribed: one sent before would be missed for nothing. */
    private boolean probeReady() {
        Map<String, String> current = probeChannels;
        return connectionsOpen() && !current.isEmpty() && shards.confirmed(current.values());
    }

    private boolean connectionsOpen() {
        StatefulRedisClusterConnection<String, byte[]> c = connector.now();
        return !closed && c != null && c.isOpen();
    }

    private synchronized void startSyncing() {
        if (closed) {
            return;
        }
        try {
            syncing = lettuce.executor().scheduleWithFixedDelay(this::syncTick, SYNC_INTERVAL.toMillis(),
                    SYNC_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("{}: topology sync not started, the client is shutting down", describe());
        }
    }

    private void syncTick() {
        try {
            if (stalled.get() || shards.unconfirmed() > 0 || (probe != null && probe.failing())) {
                lettuce.refreshSoon(); // a master may have been replaced: do not wait for Lettuce's triggers
            }
            refreshProbeChannels();
            shards.sync();
        } catch (RuntimeException e) {
            log.warn("{}: topology sync failed", describe(), e);
        }
    }

    /** Picks one probe channel per master serving slots, keeping the names already picked while they still fit. */
    private void refreshProbeChannels() {
        if (probe == null) {
            return;
        }
        Partitions partitions = lettuce.partitions();
        Map<String, String> picked = new HashMap<>();
        Set<String> masters = new HashSet<>();
        for (RedisClusterNode node : partitions) {
            if (!node.getSlots().isEmpty() && node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
                masters.add(address(node));
            }
        }
        probeChannels.forEach((address, channel) -> {
            RedisClusterNode owner = partitions.getMasterBySlot(SlotHash.getSlot(channel));
            if (owner != null && address(owner).equals(address) && masters.contains(address)) {
                picked.put(address, channel);
            }
        });
        for (int i = 0; i < PROBE_CANDIDATES && picked.size() < masters.size(); i++) {
            String candidate = probeBase + i;
            RedisClusterNode owner = partitions.getMasterBySlot(SlotHash.getSlot(candidate));
            if (owner != null && masters.contains(address(owner))) {
                picked.putIfAbsent(address(owner), candidate);
            }
        }
        if (picked.equals(probeChannels)) {
            return;
        }
        Set<String> before = new HashSet<>(probeChannels.values());
        channels.addAll(picked.values());
        before.removeAll(picked.values());
        channels.removeAll(before);
        before.forEach(shards::drop);
        probeChannels = Map.copyOf(picked);
    }

    private static String address(RedisClusterNode node) {
        return node.getUri().getHost() + ":" + node.getUri().getPort();
    }

    private CompletionStage<?> publishProbe(byte[] payload) {
        StatefulRedisClusterConnection<String, byte[]> c = connector.now();
        Set<String> targets = Set.copyOf(probeChannels.values());
        if (c == null || targets.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        synchronized (probeAwaited) {
            probeAwaited.clear();
            probeAwaited.addAll(targets);
            probePayload = payload;
        }
        return CompletableFuture.allOf(targets.stream().map(t -> spublish(c, t, payload)).toArray(CompletableFuture[]::new));
    }

    /** A probe is back once every master delivered it. */
    private void probeReceived(String channel, byte[] payload) {
        synchronized (probeAwaited) {
            if (!Arrays.equals(payload, probePayload) || !probeAwaited.remove(channel) || !probeAwaited.isEmpty()) {
                return;
            }
        }
        probe.received(payload);
    }

    private void deliver(String channel, byte[] payload) {
        Listener l = listener.get();
        if (l == null || closed || !channel.startsWith(prefix)) {
            return;
        }
        if (channel.startsWith(probeBase)) {
            if (probe != null) {
                probeReceived(channel, payload);
            }
            return;
        }
        try {
            l.onMessage(channel.substring(prefix.length()), payload);
        } catch (RuntimeException e) {
            log.error("{}: listener failed on a message of {}", describe(), channel, e);
        }
    }

    private void notifyReconnected() {
        Listener l = listener.get();
        if (l == null || closed) {
            return;
        }
        try {
            l.onReconnected();
        } catch (RuntimeException e) {
            log.error("{}: listener failed in onReconnected", describe(), e);
        }
    }

    /** Tracks whether the cluster answers: a timeout marks the broker stalled, any answer clears it. */
    private <T> CompletableFuture<T> watch(CompletableFuture<T> command) {
        return command.whenComplete((v, e) -> {
            if (e == null) {
                if (stalled.compareAndSet(true, false)) {
                    log.info("{} answers again", describe());
                }
            } else if (Failures.rootCause(e) instanceof RedisCommandTimeoutException && stalled.compareAndSet(false, true)) {
                log.warn("{} did not answer within {}; reporting it down until it does", describe(), timeout);
            }
        });
    }
}
