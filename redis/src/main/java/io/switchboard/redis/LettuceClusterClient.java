package io.switchboard.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.netty.util.concurrent.EventExecutorGroup;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Lettuce client for a Redis Cluster, with the fail-fast options of {@link LettuceClient}, and a view of the
 * cluster's topology that follows failovers: Lettuce reloads it every {@link #TOPOLOGY_REFRESH} and soon after
 * MOVED or ASK redirects, repeated reconnects, uncovered slots and unknown nodes. Besides the routed cluster connections it can
 * open plain pub/sub connections to one node, which sharded pub/sub needs (a shard channel is subscribed on the
 * master serving its slot). Thread-safe.
 */
final class LettuceClusterClient implements StoreClient {
    private static final Logger log = LoggerFactory.getLogger(LettuceClusterClient.class);

    /**
     * How often the topology is reloaded without a trigger. Each reload opens a connection to every node, so this is
     * a safety net only: a dead master is noticed sooner through the adaptive triggers, since the broker's probes
     * publish to every master every probe interval and their failed reconnects trigger a reload.
     */
    static final Duration TOPOLOGY_REFRESH = Duration.ofSeconds(10);

    /** The shortest time between two triggered reloads, so that a burst of redirects reloads once. */
    private static final Duration TRIGGER_GAP = Duration.ofMillis(500);

    private final RedisSettings settings;
    private final Duration timeout;
    private final ClientResources resources;
    private final RedisClusterClient cluster;
    /** Opens the per-node pub/sub connections; shares the threads. */
    private final RedisClient nodes;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** When {@link #refreshSoon} last reloaded, by {@link System#nanoTime()}. */
    private final AtomicLong lastRefresh = new AtomicLong(System.nanoTime());
    /** Set once the first topology was loaded. */
    private volatile boolean loaded;

    /** @param timeout deadline of each command and of the TCP connect; positive */
    LettuceClusterClient(RedisSettings settings, Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        this.settings = settings;
        this.timeout = timeout;
        this.resources = LettuceClient.resources();
        List<RedisURI> seeds = settings.nodes().stream()
                .map(n -> RedisSettings.parseHostPort("redis.nodes", n))
                .map(n -> LettuceClient.uri(settings, timeout, n.host(), n.port()))
                .toList();
        this.cluster = RedisClusterClient.create(resources, seeds);
        ClusterClientOptions.Builder options = LettuceClient.configure(ClusterClientOptions.builder(), settings, timeout);
        cluster.setOptions(options.topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                        .enablePeriodicRefresh(TOPOLOGY_REFRESH)
                        // Every adaptive trigger is on by default since Lettuce 7.
                        .adaptiveRefreshTriggersTimeout(TRIGGER_GAP)
                        .refreshTriggersReconnectAttempts(3)
                        .build())
                .build());
        this.nodes = RedisClient.create(resources);
        nodes.setOptions(LettuceClient.options(settings, timeout));
    }

    RedisClusterClient cluster() {
        return cluster;
    }

    /** The client for connections to one node. */
    RedisClient nodes() {
        return nodes;
    }

    /** The URI of one node, with the credentials and TLS of the settings. */
    RedisURI uri(String host, int port) {
        return LettuceClient.uri(settings, timeout, host, port);
    }

    /** The topology as last loaded; empty before the first was (Lettuce would load it, blocking, on first use). */
    Partitions partitions() {
        return loaded ? cluster.getPartitions() : new Partitions();
    }

    /**
     * One attempt at a routed connection, loading the topology first the first time (without blocking), and
     * connected to every master before it is handed out: Lettuce opens a master's connection on the first command
     * for it and, failing fast, would reject the commands that arrive while it is being opened.
     */
    <K, V> CompletableFuture<StatefulRedisClusterConnection<K, V>> connect(RedisCodec<K, V> codec) {
        CompletionStage<Void> topology = loaded ? CompletableFuture.completedFuture(null)
                : cluster.refreshPartitionsAsync().thenRun(() -> loaded = true);
        return topology.toCompletableFuture().thenCompose(v -> cluster.connectAsync(codec)).thenCompose(c -> {
            CompletableFuture<?>[] masters = c.getPartitions().stream()
                    .filter(n -> !n.getSlots().isEmpty() && n.is(RedisClusterNode.NodeFlag.UPSTREAM))
                    .map(n -> c.getConnectionAsync(n.getUri().getHost(), n.getUri().getPort()))
                    .toArray(CompletableFuture[]::new);
            return CompletableFuture.allOf(masters).handle((ok, e) -> {
                if (e != null) {
                    c.closeAsync();
                    throw new IllegalStateException("cannot connect to every master", e);
                }
                return c;
            });
        });
    }

    @Override
    public CompletionStage<StoreConnection> connectStore() {
        return connect(StringCodec.UTF8).thenApply(ClusterStoreConnection::new);
    }

    /**
     * Reloads the topology now unless a reload started within {@link #TRIGGER_GAP}: for failures Lettuce's own
     * triggers react to late (a command rejected while the connection to a dead master is down is never redirected,
     * and reconnect attempts back off to seconds apart).
     */
    void refreshSoon() {
        long now = System.nanoTime();
        long last = lastRefresh.get();
        if (!loaded || closed.get() || now - last < TRIGGER_GAP.toNanos() || !lastRefresh.compareAndSet(last, now)) {
            return;
        }
        cluster.refreshPartitionsAsync().whenComplete((v, e) -> {
            if (e != null) {
                log.debug("{}: reloading the topology failed ({})", settings.address(), Connector.describe(e));
            }
        });
    }

    @Override
    public void commandFailed() {
        refreshSoon();
    }

    @Override
    public EventExecutorGroup executor() {
        return resources.eventExecutorGroup();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        nodes.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        LettuceClient.shutdown(cluster, resources, settings.address());
    }

    /** A store's routed cluster connection. */
    private record ClusterStoreConnection(StatefulRedisClusterConnection<String, String> connection)
            implements StoreConnection {
        @Override
        public RedisClusterAsyncCommands<String, String> commands() {
            return connection.async();
        }

        @Override
        public CompletableFuture<RedisClusterAsyncCommands<String, String>> pinned(String key) {
            RedisClusterNode master = connection.getPartitions().getMasterBySlot(SlotHash.getSlot(key));
            if (master == null) {
                return CompletableFuture.failedFuture(new IllegalStateException(
                        "no master serves slot " + SlotHash.getSlot(key) + " of " + key));
            }
            // By address: the connection Lettuce routes the slot's commands over.
            return connection.getConnectionAsync(master.getUri().getHost(), master.getUri().getPort())
                    .thenApply(c -> c.async());
        }

        @Override
        public void closeAsync() {
            connection.closeAsync();
        }
    }
}
