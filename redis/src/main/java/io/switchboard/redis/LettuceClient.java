package io.switchboard.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.netty.util.concurrent.EventExecutorGroup;
import java.io.File;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Lettuce client with threads of its own, set up to fail fast: commands issued while disconnected
 * are rejected instead of queued, at most {@value #REQUEST_QUEUE_SIZE} commands wait for replies per
 * connection, and every command times out after the command timeout. Lost connections are
 * re-established by Lettuce with {@link RetryDelay}. Thread-safe.
 */
final class LettuceClient implements StoreClient {
    private static final Logger log = LoggerFactory.getLogger(LettuceClient.class);

    /**
     * Commands in flight per connection before new ones are rejected: about 10 ms of a busy node's
     * traffic, far more than a healthy Redis ever has outstanding, and a bound on what a hung Redis can
     * pile up in this process (overflow policy: the command fails at once).
     */
    static final int REQUEST_QUEUE_SIZE = 10_000;

    /** How long close waits for the client's connections and threads to end. */
    private static final Duration SHUTDOWN = Duration.ofSeconds(2);

    private final ClientResources resources;
    private final RedisClient client;
    private final RedisURI uri;
    /** Makes {@link #close()} idempotent. */
    private final AtomicBoolean closed = new AtomicBoolean();

    /** @param timeout deadline of each command and of the TCP connect; positive */
    LettuceClient(RedisSettings settings, Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        this.resources = resources();
        this.uri = uri(settings, timeout);
        this.client = RedisClient.create(resources, uri);
        client.setOptions(options(settings, timeout));
    }

    /** Threads of one client: two I/O threads at most, a store uses one connection, the broker two. */
    static ClientResources resources() {
        return DefaultClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .reconnectDelay(RetryDelay.LETTUCE)
                .build();
    }

    /** The URI of one server at {@code host:port} with the credentials, TLS and timeout of {@code settings}. */
    static RedisURI uri(RedisSettings settings, Duration timeout, String host, int port) {
        return credentials(settings, RedisURI.builder().withHost(host).withPort(port).withTimeout(timeout)
                .withSsl(settings.tls())).build();
    }

    private static RedisURI.Builder credentials(RedisSettings settings, RedisURI.Builder builder) {
        if (!settings.password().isEmpty()) {
            builder.withAuthentication(settings.username().isEmpty() ? "default" : settings.username(),
                    settings.password());
        }
        return builder;
    }

    /**
     * Where to connect: the server itself, or in Sentinel mode the Sentinels, which Lettuce asks for the
     * current master on every connect and reconnect, so a failover is followed without a restart.
     */
    static RedisURI uri(RedisSettings settings, Duration timeout) {
        RedisURI.Builder builder;
        if (settings.sentinel()) {
            List<RedisSettings.HostPort> sentinels = settings.sentinels().stream()
                    .map(s -> RedisSettings.parseHostPort("redis.sentinels", s)).toList();
            builder = RedisURI.Builder.sentinel(sentinels.get(0).host(), sentinels.get(0).port(), settings.masterName());
            for (RedisSettings.HostPort sentinel : sentinels.subList(1, sentinels.size())) {
                builder.withSentinel(sentinel.host(), sentinel.port());
            }
        } else {
            builder = RedisURI.builder().withHost(settings.host()).withPort(settings.port());
        }
        builder.withDatabase(settings.db()).withTimeout(timeout).withSsl(settings.tls());
        return credentials(settings, builder).build();
    }

    static ClientOptions options(RedisSettings settings, Duration timeout) {
        return configure(ClientOptions.builder(), settings, timeout).build();
    }

    /** The fail-fast options shared by the standalone and the cluster client. */
    static <B extends ClientOptions.Builder> B configure(B options, RedisSettings settings, Duration timeout) {
        if (settings.tls() && !settings.tlsCaFile().isEmpty()) {
            options.sslOptions(SslOptions.builder().jdkSslProvider().trustManager(new File(settings.tlsCaFile())).build());
        }
        options.autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(REQUEST_QUEUE_SIZE)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .socketOptions(SocketOptions.builder().connectTimeout(timeout).keepAlive(true).build());
        return options;
    }

    @Override
    public CompletionStage<StoreConnection> connectStore() {
        return client.connectAsync(StringCodec.UTF8, uri).thenApply(StoreConnection::of);
    }

    RedisClient client() {
        return client;
    }

    RedisURI uri() {
        return uri;
    }

    /** Lettuce's computation threads; runs our retries and probes. */
    @Override
    public EventExecutorGroup executor() {
        return resources.eventExecutorGroup();
    }

    /** Closes every connection and stops the threads. Blocks up to a few seconds; never call it on them. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        shutdown(client, resources, uri.getHost());
    }

    /** Shuts a client down, then its threads; logs what does not stop in time. */
    static void shutdown(AbstractRedisClient client, ClientResources resources, String name) {
        try {
            client.shutdown(Duration.ZERO, SHUTDOWN);
        } catch (RuntimeException e) {
            log.warn("Redis client {} did not shut down cleanly", name, e);
        }
        try {
            resources.shutdown(0, SHUTDOWN.toMillis(), TimeUnit.MILLISECONDS)
                    .get(SHUTDOWN.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("Redis client threads did not stop within {}", SHUTDOWN, e);
        }
    }
}
