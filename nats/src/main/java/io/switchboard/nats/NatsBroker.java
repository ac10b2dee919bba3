package io.switchboard.nats;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Consumer;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.switchboard.core.broker.Broker;
import io.switchboard.protocol.internal.Backoff;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Broker} over core NATS (plain publish/subscribe, no JetStream): fire-and-forget, at-most-once,
 * which is exactly the contract; the hub recovers gaps from history after {@code onReconnected}.
 *
 * <p>Thread-safe. Listener callbacks run one at a time: messages on the jnats dispatcher thread,
 * {@code onReconnected} on this broker's own thread, serialized by one lock.
 *
 * <h2>Design</h2>
 * <ul>
 *   <li><b>One connection, one dispatcher.</b> A single dispatcher thread delivers every message, which
 *       keeps NATS' per-publisher order per subject: the order the contract promises.</li>
 *   <li><b>Channels to subjects</b> by {@link Subjects}: {@code prefix.escaped-channel}, injective, one
 *       subject token per channel, so no channel can act as a wildcard or reach into another's subject.</li>
 *   <li><b>Connecting never blocks the caller and never gives up.</b> Every connection, the first and
 *       each one after a loss, is made on this broker's own thread with jittered exponential backoff
 *       (100 ms to 5 s); once up, every wanted channel is subscribed and confirmed with a PING/PONG round
 *       trip. The first completes the start future; each later one calls {@code onReconnected}.</li>
 *   <li><b>Why not jnats' own reconnect:</b> jnats 2.24.0 can leave a reconnected connection's writer
 *       stuck in its reconnect mode (the END_RECONNECT marker consumed before the mode is set; nats.java
 *       issue #1522): the connection reports CONNECTED and accepts publishes but never writes them. The
 *       kill-and-restart test hit it in about one run in four. So jnats is told not to reconnect
 *       ({@code noReconnect}); when it closes a lost connection, this broker builds a fresh one, which
 *       has no reconnect modes at all.</li>
 *   <li><b>Publish fails fast, never waits, never piles up.</b> Not connected: the future fails at once;
 *       nothing is held for later. Connected: the message goes into
 *       jnats' outgoing buffer, bounded by {@link NatsSettings#maxPendingMessages()}; when full, jnats
 *       discards instead of blocking the caller and the future fails. A completed publish therefore means
 *       <em>accepted into the outgoing buffer</em>, not written or delivered: a connection lost right after
 *       loses what its buffer held (bytes already in the server's socket buffer may still be routed when
 *       a stalled server resumes).</li>
 *   <li><b>A stalled server</b> (process frozen, TCP still open) is noticed by pings: two unanswered in a
 *       row (about three {@link NatsSettings#keepAliveInterval()}s) and jnats closes the connection; this broker
 *       reconnects. Until then publishes land in the bounded buffer or fail when it is full.</li>
 *   <li><b>No echo:</b> the connection asks the server not to send a node its own messages.</li>
 *   <li><b>Subscribe</b> confirms with a PING/PONG round trip (coalesced across concurrent calls), so
 *       messages published by other nodes after it completes arrive. While disconnected a subscription is
 *       recorded, completes at once, and is made on reconnect (reported by {@code onReconnected}).</li>
 * </ul>
 */
public final class NatsBroker implements Broker {
    private static final Logger log = LoggerFactory.getLogger(NatsBroker.class);

    /** Backoff bounds for connect and reconnect attempts. */
    static final Duration MIN_RETRY = Duration.ofMillis(100);
    static final Duration MAX_RETRY = Duration.ofSeconds(5);
    /** How often {@link #checkConnection} looks for a connection jnats closed without telling us. */
    private static final Duration WATCHDOG = Duration.ofSeconds(1);
    private static final CompletionStage<Void> DONE = CompletableFuture.completedStage(null);
    /** Numbers the brokers of one process in thread names. */
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final NatsSettings settings;
    private final Duration timeout;
    private final Subjects subjects;
    private final Backoff backoff;
    private final Options options;
    private final String description;
    /**
     * This broker's own thread: connect attempts, subscription round trips, {@code onReconnected} and the
     * watchdog, everything that waits on the network. One thread, so these never overlap.
     */
    private final ScheduledThreadPoolExecutor ops;
    /** Completes once the first connection is up with every channel subscribed; fails on close. */
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    /** Guards {@link #channels}, {@link #listener}, {@link #closed} and what the dispatcher is subscribed to. */
    private final Object lock = new Object();
    /** Serializes listener callbacks: the contract allows only one at a time per broker. */
    private final Object callbackLock = new Object();
    /** Confirms subscriptions with coalesced PING/PONG round trips on {@link #ops}. */
    private final RoundTrips roundTrips;
    /**
     * Set by jnats' {@code messageDiscarded}, which it calls on the publishing thread when the outgoing
     * buffer is full; read right after the call to tell a discarded publish from an accepted one.
     */
    private final ThreadLocal<boolean[]> discarded = ThreadLocal.withInitial(() -> new boolean[1]);

    /** The channels this node wants, subscribed on every (re)connect. Guarded by {@link #lock}. */
    private final Set<String> channels = new HashSet<>();
    /** Failed attempts since the last connection was up. Confined to {@link #ops}. */
    private int connectAttempts;
    /** Connections made so far; all but the first are reconnects. Confined to {@link #ops}. */
    private int connections;

    private volatile Listener listener;
    /** The live connection; null before the first, between a loss and the next, and after close. Written under {@link #lock}. */
    private volatile Connection connection;
    /** The one dispatcher of {@link #connection}; null whenever it is. Written under {@link #lock}. */
    private volatile Dispatcher dispatcher;
    private volatile boolean closed;
    /** What jnats last reported going wrong on the live connection, for the "connection lost" log line. */
    private volatile String lastProblem = "no error reported";

    /**
     * A broker for these settings. Does not connect: {@link #start} does, and never throws for an unreachable server.
     *
     * @param timeout deadline for one connection attempt (TCP connect, server INFO, CONNECT and the first
     *     PING/PONG) and for the round trip that confirms a subscription: the cluster's call deadline
     */
    public NatsBroker(NatsSettings settings, Duration timeout) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        this.subjects = new Subjects(settings.subjectPrefix());
        this.backoff = Backoff.atLeast(MIN_RETRY, MAX_RETRY, new Random());
        this.description = "nats " + settings.servers().stream().map(NatsBroker::hostAndPort)
                .collect(Collectors.joining(","));
        int n = INSTANCES.incrementAndGet();
        this.ops = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "switchboard-nats-" + n);
            t.setDaemon(true);
            return t;
        });
        this.roundTrips = new RoundTrips(() -> connection, timeout, task -> submit(task, Duration.ZERO));
        this.options = options(settings);
    }

    private Options options(NatsSettings s) {
        return NatsOptions.builder(s, timeout)
                .noEcho()
                .connectionListener(this::connectionEvent)
                .errorListener(new LoggingErrorListener())
                .build();
    }

    @Override
    public CompletionStage<Void> start(Listener newListener) {
        Objects.requireNonNull(newListener, "listener");
        synchronized (lock) {
            if (listener != null) {
                throw new IllegalStateException("start is called once");
            }
            listener = newListener;
            if (closed) {
                return CompletableFuture.failedStage(closedException());
            }
        }
        submit(this::connectOnce, Duration.ZERO);
        try {
            ops.scheduleWithFixedDelay(this::checkConnection, WATCHDOG.toMillis(), WATCHDOG.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("{}: watchdog not started, broker closed", description);
        }
        return started.copy();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Idempotent. Before the first connection the future completes with {@link #start}'s; while
     * disconnected later it completes at once and the subscription is made on reconnect. A subscription
     * whose round trip timed out stays in place (it is made again on every reconnect): subscribing again
     * is harmless, and {@link #unsubscribe} removes it.
     */
    @Override
    public CompletionStage<Void> subscribe(String channel) {
        String subject;
        try {
            subject = subjects.subject(channel);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedStage(e);
        }
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.failedStage(closedException());
            }
            channels.add(channel);
            Dispatcher d = dispatcher;
            if (d == null || !d.isActive()) {
                // Not connected, yet or any more: connectOnce subscribes every wanted channel before it
                // completes start or calls onReconnected.
                return started.isDone() ? DONE : started.copy();
            }
            RuntimeException failure = subscribeOn(d, subject);
            if (failure != null) {
                channels.remove(channel);
                return CompletableFuture.failedStage(failure);
            }
        }
        return roundTrips.next();
    }

    /** Subscribes the dispatcher; null on success, else why not (the subscription is undone). Holds {@link #lock}. */
    private RuntimeException subscribeOn(Dispatcher d, String subject) {
        boolean[] flag = discarded.get();
        flag[0] = false;
        try {
            d.subscribe(subject);
        } catch (IllegalStateException e) {
            return new IllegalStateException("NATS refused the subscription: " + e.getMessage(), e);
        }
        if (flag[0]) {
            // The SUB itself did not fit in the outgoing buffer; a local-only subscription would never receive.
            unsubscribeFrom(d, subject);
            return bufferFull();
        }
        return null;
    }

    @Override
    public CompletionStage<Void> unsubscribe(String channel) {
        String subject;
        try {
            subject = subjects.subject(channel);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedStage(e);
        }
        synchronized (lock) {
            channels.remove(channel);
            Dispatcher d = dispatcher;
            if (d != null && !closed) {
                unsubscribeFrom(d, subject);
            }
        }
        return DONE;
    }

    private static void unsubscribeFrom(Dispatcher d, String subject) {
        try {
            // jnats deactivates the subscription locally first, so nothing more is delivered even if the
            // UNSUB never reaches the server (disconnected, or buffer full).
            d.unsubscribe(subject);
        } catch (IllegalStateException e) {
            log.debug("unsubscribe from {} after the dispatcher closed: {}", subject, e.getMessage());
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Completes when jnats accepted the message into its outgoing buffer (see the class comment); fails
     * at once when not connected, when the buffer is full, or for a payload above the server's maximum.
     * Never blocks the caller.
     */
    @Override
    public CompletionStage<Void> publish(String channel, byte[] payload) {
        Objects.requireNonNull(payload, "payload");
        String subject;
        try {
            subject = subjects.subject(channel);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedStage(e);
        }
        Connection c = connection;
        if (closed) {
            return CompletableFuture.failedStage(closedException());
        }
        if (c == null || c.getStatus() != Connection.Status.CONNECTED) {
            return CompletableFuture.failedStage(new IllegalStateException("NATS not connected (" + description + ")"));
        }
        boolean[] flag = discarded.get();
        flag[0] = false;
        try {
            // If the connection dropped since the status check, jnats throws: the reconnect buffer is 0.
            c.publish(subject, payload);
        } catch (IllegalStateException | IllegalArgumentException e) {
            return CompletableFuture.failedStage(
                    new IllegalStateException("NATS did not take the message: " + e.getMessage(), e));
        }
        if (flag[0]) {
            return CompletableFuture.failedStage(bufferFull());
        }
        return DONE;
    }

    @Override
    public boolean isConnected() {
        Connection c = connection;
        return !closed && c != null && c.getStatus() == Connection.Status.CONNECTED;
    }

    /** {@code nats} and the servers' host:port, e.g. {@code nats 127.0.0.1:4222}. */
    @Override
    public String describe() {
        return description;
    }

    /**
     * Closes the connection and stops this broker's thread; the start future and pending subscribes fail.
     * Idempotent. Waits at most about the timeout for jnats to shut down.
     */
    @Override
    public void close() {
        Connection c;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            c = connection;
            channels.clear();
        }
        ops.shutdownNow();
        IllegalStateException gone = closedException();
        started.completeExceptionally(gone);
        roundTrips.close(gone);
        if (c != null) {
            closeConnection(c);
        }
        try {
            if (!ops.awaitTermination(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS)) {
                log.warn("{}: broker thread still busy after close; it is a daemon and ends with its task", description);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.debug("{}: interrupted while waiting for the broker thread to end", description);
        }
    }

    // ---- connecting ----

    /**
     * One connection attempt, on {@link #ops}: the first connection or a replacement for a lost one.
     * Schedules the next attempt with backoff when it fails.
     */
    private void connectOnce() {
        if (closed || connection != null) {
            return;
        }
        Connection c;
        try {
            c = Nats.connect(options);
        } catch (IOException | RuntimeException e) {
            connectAttempts++;
            Duration wait = backoff.delay(connectAttempts);
            if (connectAttempts == 1) {
                log.warn("{} unreachable ({}); retrying in the background", description, e.toString());
            } else {
                log.debug("{} still unreachable after {} attempts ({}); next in {} ms", description,
                        connectAttempts, e.toString(), wait.toMillis());
            }
            submit(this::connectOnce, wait);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.debug("{}: connect interrupted by close", description);
            return;
        }
        synchronized (lock) {
            if (closed) {
                closeConnection(c);
                return;
            }
            Dispatcher d = c.createDispatcher(this::deliver);
            for (String channel : channels) {
                RuntimeException failure = subscribeOn(d, subjects.subject(channel));
                if (failure != null) {
                    log.warn("{}: could not subscribe to {} on connect: {}", description, channel, failure.getMessage());
                }
            }
            dispatcher = d;
            connection = c;
        }
        confirmRoundTrip(c);
        connections++;
        log.info("{} {} to {} after {} failed attempts", description, connections == 1 ? "connected" : "reconnected",
                c.getConnectedUrl(), connectAttempts);
        connectAttempts = 0;
        if (connections == 1) {
            started.complete(null);
        } else {
            reportReconnected();
        }
    }

    private void connectionEvent(Connection c, ConnectionListener.Events event) {
        if (c != connection || closed) {
            // A failed attempt's connection, or closing: nothing the hub needs to hear about.
            log.debug("{}: {} ({})", description, event, closed ? "closed" : "not the live connection");
            return;
        }
        switch (event) {
            case DISCONNECTED -> log.warn("{}: connection lost ({})", description, lastProblem);
            case CLOSED -> replace(c);
            case LAME_DUCK -> log.warn("{}: server entered lame duck mode; it will close this connection", description);
            default -> log.debug("{}: {}", description, event);
        }
    }

    /** Safety net for {@link #connectionEvent}: a live connection that jnats closed without an event reaching us. */
    private void checkConnection() {
        Connection c = connection;
        if (c != null && c.getStatus() == Connection.Status.CLOSED) {
            log.debug("{}: found the live connection closed", description);
            replace(c);
        }
    }

    /** jnats closed connection {@code c} after losing it: forget it and connect anew. */
    private void replace(Connection c) {
        synchronized (lock) {
            if (closed || connection != c) {
                return;
            }
            connection = null;
            dispatcher = null;
        }
        log.info("{}: connection closed; reconnecting in the background", description);
        submit(this::connectOnce, Duration.ZERO);
    }

    /** A replacement connection is up with every channel subscribed: tell the listener. On {@link #ops}. */
    private void reportReconnected() {
        synchronized (callbackLock) {
            try {
                listener.onReconnected();
            } catch (RuntimeException e) {
                log.warn("{}: listener failed in onReconnected", description, e);
            }
        }
    }

    /** Waits for the PONG that proves the server has the SUBs sent on connect. */
    private void confirmRoundTrip(Connection c) {
        try {
            c.flush(timeout);
        } catch (TimeoutException | IllegalStateException e) {
            // Not fatal: if the connection is bad, pings close it and the next one subscribes again.
            log.warn("{}: no PONG within {} ms after subscribing on connect: {}", description,
                    timeout.toMillis(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.debug("{}: interrupted confirming the subscriptions (closing)", description);
        }
    }

    // ---- delivery ----

    /** On the dispatcher thread. */
    private void deliver(Message m) {
        String channel = subjects.channel(m.getSubject());
        if (channel == null) {
            log.warn("{}: dropped a message on {}, a subject this broker never subscribes to", description,
                    m.getSubject());
            return;
        }
        byte[] payload = m.getData() == null ? new byte[0] : m.getData();
        synchronized (callbackLock) {
            try {
                listener.onMessage(channel, payload);
            } catch (RuntimeException e) {
                log.warn("{}: listener failed on a message for {}", description, channel, e);
            }
        }
    }

    // ---- helpers ----

    private void submit(Runnable task, Duration delay) {
        try {
            ops.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("{}: task not run, broker closed", description);
        }
    }

    private void closeConnection(Connection c) {
        try {
            c.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("{}: interrupted while closing the NATS connection", description);
        }
    }

    private IllegalStateException bufferFull() {
        return new IllegalStateException("NATS outgoing buffer full (" + settings.maxPendingMessages()
                + " messages, " + description + ")");
    }

    private IllegalStateException closedException() {
        return new IllegalStateException("NATS broker closed (" + description + ")");
    }

    private static String hostAndPort(String server) {
        URI uri = URI.create(server);
        return uri.getHost() + ":" + (uri.getPort() == -1 ? Options.DEFAULT_PORT : uri.getPort());
    }

    /** Routes jnats' error reports to the log, and notices discarded publishes for {@link #publish}. */
    private final class LoggingErrorListener implements ErrorListener {
        @Override
        public void errorOccurred(Connection conn, String error) {
            if (conn == connection) {
                lastProblem = "server error: " + error;
            }
            log.warn("{}: server error: {}", description, error);
        }

        @Override
        public void exceptionOccurred(Connection conn, Exception exp) {
            // Connection refused and the like come once per failed attempt: the warn lines of the connection
            // events say what matters and quote the last of these.
            if (conn == connection) {
                lastProblem = exp.toString();
            }
            log.debug("{}: {}", description, exp.toString());
        }

        @Override
        public void slowConsumerDetected(Connection conn, Consumer consumer) {
            log.warn("{}: slow consumer: the dispatcher's queue is full, incoming messages are dropped ({} so far)",
                    description, consumer.getDroppedCount());
        }

        @Override
        public void messageDiscarded(Connection conn, Message msg) {
            discarded.get()[0] = true;
            log.debug("{}: outgoing buffer full, discarded a message for {}", description, msg.getSubject());
        }
    }
}
