package io.switchboard.redis;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.switchboard.core.broker.Broker;
import io.switchboard.protocol.internal.Failures;
import java.net.SocketAddress;
import java.time.Duration;
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
 * A {@link Broker} over Redis pub/sub. Thread-safe. Channel {@code c} is the Redis channel
 * {@code keyPrefix + c}; payloads travel as they are.
 *
 * <p>Two connections: one subscribed connection that receives (its Lettuce I/O thread calls the
 * listener, one message at a time, in order), and one for PUBLISH, so that a burst of publishes never
 * queues behind deliveries or the other way round. Redis delivers a node's own publications back to
 * it; the hub ignores them.
 *
 * <p>Lifecycle and failures:
 * <ul>
 *   <li>{@link #start} connects in the background, retrying with jittered backoff (100 ms to 5 s) for as
 *       long as Redis is unreachable; the returned stage completes once both connections are up and
 *       the channels subscribed so far are subscribed. The constructor never connects nor throws for
 *       an unreachable Redis.
 *   <li>Once connected, Lettuce re-establishes lost connections and re-subscribes on its own. The
 *       broker then subscribes every channel it holds once more and, when Redis confirmed that,
 *       calls {@link Listener#onReconnected()}: from then on nothing more is lost.
 *   <li>While a connection is down, commands fail at once instead of queueing; while Redis does not
 *       answer (a stopped or overloaded server keeps its sockets open), they fail after
 *       the command timeout, and {@link #isConnected()} reports false until a PING probe
 *       or a later command succeeds.
 *   <li>Before the first connection, {@link #subscribe}, {@link #unsubscribe} and {@link #publish} wait
 *       for it up to the command timeout, then fail.
 *   <li>{@link #subscribe} and {@link #unsubscribe} change the set of channels the broker holds even
 *       when the command fails; the set is what every reconnect restores.
 *   <li>A subscription that goes silent without an error is caught by the {@link SelfProbe}: a probe
 *       published to a channel only this broker holds that does not come back within
 *       {@link RedisSettings#probeTimeout()} reports the broker down and renews the subscribed connection:
 *       a fresh one subscribes every channel, replaces the old one (which is closed and whose late
 *       deliveries are dropped), and the listener hears {@link Listener#onReconnected()}.
 * </ul>
 */
public final class RedisBroker implements Broker {
    private static final Logger log = LoggerFactory.getLogger(RedisBroker.class);
    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    /** The two connections of one broker. */
    private record Connections(StatefulRedisPubSubConnection<String, byte[]> sub,
                               StatefulRedisConnection<String, byte[]> pub) {
        void close() {
            sub.closeAsync();
            pub.closeAsync();
        }
    }

    private final RedisSettings settings;
    private final Duration timeout;
    private final String prefix;
    private final LettuceClient lettuce;
    private final Connector<Connections> connector;
    /** Redis channel names (with the prefix) this node holds: what a reconnect restores. */
    private final Set<String> channels = ConcurrentHashMap.newKeySet();
    /** Set once by {@link #start}. */
    private final AtomicReference<Listener> listener = new AtomicReference<>();
    /** True from a command timeout until Redis answers again; see {@link #isConnected()}. */
    private final AtomicBoolean stalled = new AtomicBoolean();
    /** Set by {@link #close()}; once set, callbacks and retries do nothing. */
    private volatile boolean closed;
    /** The connections after the subscribed one was renewed; null until then. */
    private volatile Connections renewed;
    /** The channel of this broker's probes (with the prefix); unique per broker instance. */
    private final String probeChannel;
    /** Null when {@link RedisSettings#probing()} is off. */
    private final SelfProbe probe;

    /**
     * A broker for {@code settings}; connects when started.
     *
     * @param timeout deadline of each command and of the TCP connect (the cluster's call deadline); positive
     */
    public RedisBroker(RedisSettings settings, Duration timeout) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.prefix = settings.keyPrefix();
        this.lettuce = new LettuceClient(settings, timeout);
        this.connector = new Connector<>("broker " + describe(), lettuce.executor(), timeout, this::connect,
                Connections::close);
        lettuce.client().addListener(new ReconnectWatcher());
        this.probeChannel = prefix + "probe." + UUID.randomUUID();
        this.probe = settings.probing()
                ? new SelfProbe("broker " + describe(), settings.probeInterval(), settings.probeTimeout(),
                        this::connectionsOpen, this::publishProbe, this::renew)
                : null;
    }

    @Override
    public CompletionStage<Void> start(Listener listener) {
        Objects.requireNonNull(listener, "listener");
        if (!this.listener.compareAndSet(null, listener)) {
            throw new IllegalStateException("already started");
        }
        if (probe != null) {
            channels.add(probeChannel);
            probe.start(lettuce.executor());
        }
        connector.start();
        return connector.connected().thenApply(c -> null);
    }

    @Override
    public CompletionStage<Void> subscribe(String channel) {
        String key = prefix + channel;
        channels.add(key);
        return connector.await().thenCompose(c -> watch(live().sub().async().subscribe(key).toCompletableFuture()));
    }

    @Override
    public CompletionStage<Void> unsubscribe(String channel) {
        String key = prefix + channel;
        channels.remove(key);
        return connector.await().thenCompose(c -> watch(live().sub().async().unsubscribe(key).toCompletableFuture()));
    }

    @Override
    public CompletionStage<Void> publish(String channel, byte[] payload) {
        Connections c = live();
        if (c == null) {
            return connector.await().thenCompose(ready -> publish(live(), channel, payload));
        }
        return publish(c, channel, payload);
    }

    private CompletableFuture<Void> publish(Connections c, String channel, byte[] payload) {
        return watch(c.pub().async().publish(prefix + channel, payload).toCompletableFuture()).thenApply(n -> null);
    }

    /**
     * True while both connections are up, Redis answered the last command in time and the last probe came
     * back. A Redis that stops answering without closing its sockets is noticed by the first command that
     * times out; a subscription that stops receiving, by the probe.
     */
    @Override
    public boolean isConnected() {
        return connectionsOpen() && !stalled.get() && (probe == null || !probe.failing());
    }

    /** Probes missed since start; 0 when probing is off. */
    @Override
    public long probesMissed() {
        return probe == null ? 0 : probe.misses();
    }

    /** The connections in use: the first ones, or those a renewal made; null before the first. */
    private Connections live() {
        Connections r = renewed;
        return r != null ? r : connector.now();
    }

    private boolean connectionsOpen() {
        Connections c = live();
        return !closed && c != null && c.sub().isOpen() && c.pub().isOpen();
    }

    @Override
    public String describe() {
        return "redis " + settings.address();
    }

    /** Disconnects; pending commands fail. Idempotent; do not call it from a listener callback. */
    @Override
    public void close() {
        closed = true;
        if (probe != null) {
            probe.close();
        }
        connector.close();
        lettuce.close();
    }

    private CompletionStage<Connections> connect() {
        return lettuce.client().connectPubSubAsync(CODEC, lettuce.uri()).toCompletableFuture()
                .thenCompose(sub -> {
                    sub.addListener(new Delivery(sub));
                    return lettuce.client().connectAsync(CODEC, lettuce.uri()).toCompletableFuture()
                            .thenCompose(pub -> {
                                Connections c = new Connections(sub, pub);
                                return subscribeAll(c).handle((v, e) -> {
                                    if (e != null) {
                                        c.close();
                                        throw new IllegalStateException("cannot subscribe", e);
                                    }
                                    return c;
                                });
                            })
                            .whenComplete((c, e) -> {
                                if (e != null) {
                                    sub.closeAsync();
                                }
                            });
                });
    }

    /** Subscribes every channel held now; completes when Redis confirmed. */
    private CompletableFuture<Void> subscribeAll(Connections c) {
        return subscribeAll(c.sub());
    }

    private CompletableFuture<Void> subscribeAll(StatefulRedisPubSubConnection<String, byte[]> sub) {
        String[] all = channels.toArray(String[]::new);
        if (all.length == 0) {
            return CompletableFuture.completedFuture(null);
        }
        return sub.async().subscribe(all).toCompletableFuture();
    }

    private CompletionStage<Long> publishProbe(byte[] payload) {
        Connections c = live();
        if (c == null) {
            return CompletableFuture.completedFuture(0L);
        }
        return watch(c.pub().async().publish(probeChannel, payload).toCompletableFuture());
    }

    /**
     * Replaces the subscribed connection after a probe was missed: a fresh connection subscribes every
     * channel, then takes over; the old one is closed. Messages published in between may be lost, which
     * the listener hears as a reconnect. A renewal that fails leaves things as they are: the next missed
     * probe tries again.
     */
    private void renew() {
        Connections old = live();
        if (closed || old == null) {
            return;
        }
        lettuce.client().connectPubSubAsync(CODEC, lettuce.uri()).toCompletableFuture()
                .thenCompose(sub -> {
                    sub.addListener(new Delivery(sub));
                    return subscribeAll(sub).handle((v, e) -> {
                        if (e != null || closed) {
                            sub.closeAsync();
                            throw new IllegalStateException("cannot subscribe on the fresh connection", e);
                        }
                        return sub;
                    });
                })
                .whenComplete((sub, e) -> {
                    if (e != null) {
                        log.warn("{}: renewing the subscription failed ({}); the next probe tries again", describe(),
                                Connector.describe(e));
                        return;
                    }
                    renewed = new Connections(sub, old.pub());
                    old.sub().closeAsync();
                    log.info("{}: subscription renewed on a fresh connection; {} channels", describe(), channels.size());
                    notifyReconnected();
                });
    }

    /** Tracks whether Redis answers: a timeout marks the broker stalled, any answer clears it. */
    private <T> CompletableFuture<T> watch(CompletableFuture<T> command) {
        return command.whenComplete((v, e) -> {
            if (e == null) {
                if (stalled.compareAndSet(true, false)) {
                    log.info("{} answers again", describe());
                }
            } else if (Failures.rootCause(e) instanceof RedisCommandTimeoutException && stalled.compareAndSet(false, true)) {
                log.warn("{} did not answer within {}; reporting it down until it does", describe(), timeout);
                probe(1);
            }
        });
    }

    /** PINGs a stalled Redis with backoff until it answers, so that isConnected recovers without traffic. */
    private void probe(int attempt) {
        if (closed || !stalled.get()) {
            return;
        }
        Duration wait = RetryDelay.after(attempt);
        try {
            lettuce.executor().schedule(() -> {
                Connections c = live();
                if (closed || c == null || !stalled.get()) {
                    return;
                }
                watch(c.pub().async().ping().toCompletableFuture()).whenComplete((pong, e) -> {
                    if (e != null) {
                        probe(attempt + 1);
                    }
                });
            }, wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("{}: probe not scheduled, the client is shutting down", describe());
        }
    }

    /** Restores the subscriptions after Lettuce reconnected the subscribed connection, then tells the listener. */
    private void restore(Connections c, int attempt) {
        if (closed || !c.sub().isOpen()) {
            return; // the next reconnect starts over
        }
        subscribeAll(c).whenComplete((v, e) -> {
            if (e == null) {
                log.info("{} reconnected; {} subscriptions restored", describe(), channels.size());
                notifyReconnected();
                return;
            }
            log.warn("{}: restoring {} subscriptions failed ({}); retrying", describe(), channels.size(),
                    Connector.describe(e));
            try {
                lettuce.executor().schedule(() -> restore(c, attempt + 1), RetryDelay.after(attempt).toMillis(),
                        TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException rejected) {
                log.debug("{}: restore not scheduled, the client is shutting down", describe());
            }
        });
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

    /**
     * Hands received messages to the listener, on the subscribed connection's I/O thread. Only the live
     * subscribed connection delivers: one replaced by a renewal may still receive for a moment, and those
     * messages would arrive twice.
     */
    private final class Delivery extends RedisPubSubAdapter<String, byte[]> {
        private final StatefulRedisPubSubConnection<String, byte[]> from;

        Delivery(StatefulRedisPubSubConnection<String, byte[]> from) {
            this.from = from;
        }

        @Override
        public void message(String channel, byte[] payload) {
            Listener l = listener.get();
            Connections c = live();
            if (l == null || closed || c == null || c.sub() != from || !channel.startsWith(prefix)) {
                return;
            }
            if (channel.equals(probeChannel)) {
                if (probe != null) {
                    probe.received(payload);
                }
                return;
            }
            try {
                l.onMessage(channel.substring(prefix.length()), payload);
            } catch (RuntimeException e) {
                log.error("{}: listener failed on a message of {}", describe(), channel, e);
            }
        }
    }

    /**
     * Notices Lettuce's reconnects of the subscribed connection. Lettuce re-subscribes what it knew
     * when it activates the connection, before this runs; {@link #restore} subscribes our set once more
     * so that the listener hears of the reconnect only once Redis confirmed every channel.
     */
    private final class ReconnectWatcher implements RedisConnectionStateListener {
        @Override
        public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
            Connections c = live();
            if (c != null && connection == c.sub()) {
                restore(c, 1);
            }
        }

        @Override
        public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
            Connections c = live();
            if (c != null && !closed && (connection == c.sub() || connection == c.pub())) {
                log.warn("{}: {} connection lost; Lettuce reconnects", describe(),
                        connection == c.sub() ? "subscriber" : "publisher");
            }
        }
    }
}
