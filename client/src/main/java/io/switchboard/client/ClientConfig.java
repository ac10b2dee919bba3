package io.switchboard.client;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Configuration of a {@link SwitchboardClient}: immutable, validated at construction (an
 * {@link IllegalArgumentException} names the field and its rule). Build one with
 * {@link #builder(String)}; every field has the default listed on its builder method.
 *
 * @param uri {@code ws://} or {@code wss://} endpoint, e.g. {@code ws://127.0.0.1:8080/ws?id=alice}
 * @param tokenSupplier gives the bearer token for each connection attempt ({@code null}: none);
 *                      called again before reconnecting after close code 4001 (token expired)
 * @param headers extra HTTP headers sent with every upgrade request
 * @param connectTimeout deadline for TCP connect plus the WebSocket upgrade
 * @param ackTimeout deadline for the reply to a command (join, publish, presence, ...); the
 *                   command's future fails with {@link SwitchboardClientException.AckTimeoutException}
 * @param pingInterval how often the client sends a WebSocket ping; must be shorter than receiveTimeout
 * @param receiveTimeout a connection on which nothing arrives for this long (not even a pong) is
 *                       considered dead, closed and reconnected
 * @param maxQueuedCommands commands waiting to be written (while reconnecting, or while the socket
 *                          is not writable) before sends fail with
 *                          {@link SwitchboardClientException.SendQueueFullException}
 * @param maxMessageBytes largest incoming message accepted
 * @param reconnect whether to reconnect after a connection that had been established drops
 * @param initialBackoff ceiling of the first reconnect delay; attempt {@code n} waits a uniformly random
 *                       time below {@code min(maxBackoff, initialBackoff * 2^n)} (full jitter)
 * @param maxBackoff cap of the reconnect delay ceiling
 * @param random jitter source; inject a seeded one for deterministic tests
 * @param callbackExecutor where listener methods run and futures complete, serially per client;
 *                         {@code null} means a shared pool of daemon threads. An executor that runs
 *                         tasks in the calling thread (e.g. {@code Runnable::run}) makes callbacks
 *                         run on the Netty event loop: they must then never block (load generators do this)
 * @param localAddress source address to bind outgoing connections to ({@code null}: chosen by the OS)
 * @param transport WebSocket, HTTP streaming (same URI: its path is replaced by {@code /stream}), or a
 *                  WebSocket first and HTTP streaming when the upgrade is refused
 */
public record ClientConfig(URI uri, Supplier<String> tokenSupplier, Map<String, String> headers,
                           Duration connectTimeout, Duration ackTimeout, Duration pingInterval,
                           Duration receiveTimeout, int maxQueuedCommands, int maxMessageBytes, boolean reconnect,
                           Duration initialBackoff, Duration maxBackoff, Random random, Executor callbackExecutor,
                           InetAddress localAddress, Transport transport) {

    public ClientConfig {
        Objects.requireNonNull(uri, "uri");
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("ws") && !scheme.equals("wss")) {
            throw new IllegalArgumentException("uri must be ws:// or wss://, got " + uri);
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("uri must name a host, got " + uri);
        }
        headers = Map.copyOf(headers);
        positive("connectTimeout", connectTimeout);
        positive("ackTimeout", ackTimeout);
        positive("pingInterval", pingInterval);
        positive("receiveTimeout", receiveTimeout);
        if (pingInterval.compareTo(receiveTimeout) >= 0) {
            throw new IllegalArgumentException("pingInterval (" + pingInterval + ") must be shorter than receiveTimeout ("
                    + receiveTimeout + ")");
        }
        if (maxQueuedCommands < 1) {
            throw new IllegalArgumentException("maxQueuedCommands must be at least 1, got " + maxQueuedCommands);
        }
        if (maxMessageBytes < 1024) {
            throw new IllegalArgumentException("maxMessageBytes must be at least 1024, got " + maxMessageBytes);
        }
        positive("initialBackoff", initialBackoff);
        positive("maxBackoff", maxBackoff);
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("maxBackoff (" + maxBackoff + ") must not be shorter than initialBackoff ("
                    + initialBackoff + ")");
        }
        Objects.requireNonNull(random, "random");
        Objects.requireNonNull(transport, "transport");
    }

    private static void positive(String name, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, got " + value);
        }
    }

    /** A builder with the defaults, for the given {@code ws://} or {@code wss://} URL. */
    public static Builder builder(String url) {
        if (!url.contains("://")) {
            throw new IllegalArgumentException("not a WebSocket URL: '" + url
                    + "' has no ws:// or wss:// (did you mean ws://" + url + "?)");
        }
        try {
            return new Builder(new URI(url));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a WebSocket URL (like ws://127.0.0.1:8080/ws?id=alice): '" + url
                    + "': " + e.getReason() + (e.getIndex() >= 0 ? " at character " + (e.getIndex() + 1) : ""), e);
        }
    }

    public static Builder builder(URI uri) {
        return new Builder(uri);
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        Builder b = new Builder(uri);
        b.tokenSupplier = tokenSupplier;
        b.headers.putAll(headers);
        b.connectTimeout = connectTimeout;
        b.ackTimeout = ackTimeout;
        b.pingInterval = pingInterval;
        b.receiveTimeout = receiveTimeout;
        b.maxQueuedCommands = maxQueuedCommands;
        b.maxMessageBytes = maxMessageBytes;
        b.reconnect = reconnect;
        b.initialBackoff = initialBackoff;
        b.maxBackoff = maxBackoff;
        b.random = random;
        b.callbackExecutor = callbackExecutor;
        b.localAddress = localAddress;
        b.transport = transport;
        return b;
    }

    /** Mutable builder; not thread-safe. */
    public static final class Builder {
        private URI uri;
        private Supplier<String> tokenSupplier;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration ackTimeout = Duration.ofSeconds(5);
        private Duration pingInterval = Duration.ofSeconds(15);
        private Duration receiveTimeout = Duration.ofSeconds(30);
        private int maxQueuedCommands = 1024;
        private int maxMessageBytes = 1024 * 1024;
        private boolean reconnect = true;
        private Duration initialBackoff = Duration.ofSeconds(2);
        private Duration maxBackoff = Duration.ofSeconds(30);
        private Random random = new Random();
        private Executor callbackExecutor;
        private InetAddress localAddress;
        private Transport transport = Transport.WEBSOCKET;

        private Builder(URI uri) {
            this.uri = uri;
        }

        public Builder uri(URI uri) {
            this.uri = uri;
            return this;
        }

        /** A fixed bearer token. Default: none. */
        public Builder token(String token) {
            this.tokenSupplier = token == null ? null : () -> token;
            return this;
        }

        /** Called on the callback executor before each connection attempt; may block briefly (e.g. to refresh). */
        public Builder tokenSupplier(Supplier<String> tokenSupplier) {
            this.tokenSupplier = tokenSupplier;
            return this;
        }

        /** Adds an upgrade request header. Default: none. */
        public Builder header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        /** Default 10 s. */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            return this;
        }

        /** Default 5 s (the seed guide's send timeout). */
        public Builder ackTimeout(Duration ackTimeout) {
            this.ackTimeout = ackTimeout;
            return this;
        }

        /** Default 15 s. */
        public Builder pingInterval(Duration pingInterval) {
            this.pingInterval = pingInterval;
            return this;
        }

        /** Default 30 s (the seed guide's receive timeout). */
        public Builder receiveTimeout(Duration receiveTimeout) {
            this.receiveTimeout = receiveTimeout;
            return this;
        }

        /** Default 1024. */
        public Builder maxQueuedCommands(int maxQueuedCommands) {
            this.maxQueuedCommands = maxQueuedCommands;
            return this;
        }

        /** Default 1 MiB. */
        public Builder maxMessageBytes(int maxMessageBytes) {
            this.maxMessageBytes = maxMessageBytes;
            return this;
        }

        /** Default {@code true}. */
        public Builder reconnect(boolean reconnect) {
            this.reconnect = reconnect;
            return this;
        }

        /** Default 2 s start, 30 s cap (the seed guide's reconnect defaults). */
        public Builder backoff(Duration initial, Duration max) {
            this.initialBackoff = initial;
            this.maxBackoff = max;
            return this;
        }

        /** Default {@code new Random()}. */
        public Builder random(Random random) {
            this.random = random;
            return this;
        }

        /** Default: a shared pool of daemon threads, serialized per client. */
        public Builder callbackExecutor(Executor callbackExecutor) {
            this.callbackExecutor = callbackExecutor;
            return this;
        }

        /** Default: chosen by the OS. */
        public Builder localAddress(InetAddress localAddress) {
            this.localAddress = localAddress;
            return this;
        }

        /** Default {@link Transport#WEBSOCKET}. */
        public Builder transport(Transport transport) {
            this.transport = transport;
            return this;
        }

        public ClientConfig build() {
            return new ClientConfig(uri, tokenSupplier, headers, connectTimeout, ackTimeout, pingInterval,
                    receiveTimeout, maxQueuedCommands, maxMessageBytes, reconnect, initialBackoff, maxBackoff, random,
                    callbackExecutor, localAddress, transport);
        }
    }
}
