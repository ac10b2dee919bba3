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
import io.switchboard.core.internal.Failures;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
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
        this.connector = new Connector<>("broker " + describe(), lettuce, timeout, this::connect,
                Connections::close);
        lettuce.client().addListener(new ReconnectWatcher());
    }

    @Override
    public CompletionStage<Void> start(Listener listener) {
        Objects.requireNonNull(listener, "listener");
        if (!this.listener.compareAndSet(null, listener)) {
            throw new IllegalStateException("already started");
        }
        connector.start();
        return connector.connected().thenApply(c -> null);
    }

    @Override
    public CompletionStage<Void> subscribe(String channel) {
        String key = prefix + channel;
        channels.add(key);
        return connector.await().thenCompose(c -> watch(c.sub().async().subscribe(key).toCompletableFuture()));
    }

    @Override
    public CompletionStage<Void> unsubscribe(String channel) {
        String key = prefix + channel;
        channels.remove(key);
        return connector.await().thenCompose(c -> watch(c.sub().async().unsubscribe(key).toCompletableFuture()));
    }

    @Override
    public CompletionStage<Void> publish(String channel, byte[] payload) {
        Connections c = connector.now();
        if (c == null) {
            return connector.await().thenCompose(ready -> publish(ready, channel, payload));
        }
        return publish(c, channel, payload);
    }

    private CompletableFuture<Void> publish(Connections c, String channel, byte[] payload) {
        return watch(c.pub().async().publish(prefix + channel, payload).toCompletableFuture()).thenApply(n -> null);
    }

    /**
     * True while both connections are up and Redis answered the last command in time. A Redis that stops
     * answering without closing its sockets is noticed by the first command that times out.
     */
    @Override
    public boolean isConnected() {
        Connections c = connector.now();
        return !closed && c != null && c.sub().isOpen() && c.pub().isOpen() && !stalled.get();
    }

    @Override
    public String describe() {
        return "redis " + settings.host() + ":" + settings.port();
    }

    /** Disconnects; pending commands fail. Idempotent; do not call it from a listener callback. */
    @Override
    public void close() {
        closed = true;
        connector.close();
        lettuce.close();
    }

    private CompletionStage<Connections> connect() {
        return lettuce.client().connectPubSubAsync(CODEC, lettuce.uri()).toCompletableFuture()
                .thenCompose(sub -> {
                    sub.addListener(new Delivery());
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
        String[] all = channels.toArray(String[]::new);
        if (all.length == 0) {
            return CompletableFuture.completedFuture(null);
        }
        return c.sub().async().subscribe(all).toCompletableFuture();
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
                Connections c = connector.now();
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

    /** Hands received messages to the listener, on the subscribed connection's I/O thread. */
    private final class Delivery extends RedisPubSubAdapter<String, byte[]> {
        @Override
        public void message(String channel, byte[] payload) {
            Listener l = listener.get();
            if (l == null || closed || !channel.startsWith(prefix)) {
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
            Connections c = connector.now();
            if (c != null && connection == c.sub()) {
                restore(c, 1);
            }
        }

        @Override
        public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
            Connections c = connector.now();
            if (c != null && !closed && (connection == c.sub() || connection == c.pub())) {
                log.warn("{}: {} connection lost; Lettuce reconnects", describe(),
                        connection == c.sub() ? "subscriber" : "publisher");
            }
        }
    }
}
