package io.switchboard.nats;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.ErrorListener;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.impl.Headers;
import io.switchboard.protocol.internal.Backoff;
import java.time.Duration;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One NATS connection kept up for a store, and what the store prepared on it (a JetStream stream, a KV
 * bucket). Thread-safe.
 *
 * <p>Connecting, preparing and reconnecting happen on this link's own thread with jittered backoff (100 ms
 * to 5 s), never on a caller's. As in {@link NatsBroker}, jnats is told not to reconnect (its reconnect can
 * leave a connection that never writes, nats.java #1522): a connection jnats closes is replaced by a fresh
 * one, prepared again, so a stream or bucket lost with a server's storage is created anew.
 *
 * <p>{@link #ready()} waits for the first connection up to the deadline; afterwards it fails fast while
 * NATS is unreachable: callers never queue behind an outage.
 *
 * @param <T> what {@code prepare} makes of a connection
 */
final class NatsLink<T> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NatsLink.class);
    private static final Duration WATCHDOG = Duration.ofSeconds(1);
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    /** Makes a connection usable for a store; runs on the link's thread and may block there. */
    @FunctionalInterface
    interface Prepare<T> {
        T prepare(Connection connection) throws Exception;
    }

    /** A connection and what was prepared on it. */
    record Live<T>(Connection connection, T prepared) {
    }

    private final String name;
    private final Duration timeout;
    private final Options options;
    private final Prepare<T> prepare;
    private final Backoff backoff = Backoff.atLeast(NatsBroker.MIN_RETRY, NatsBroker.MAX_RETRY, new Random());
    /** Connect attempts, preparation and the watchdog: everything that waits on the network. */
    private final ScheduledThreadPoolExecutor ops;
    /** Completes with the first live connection; fails on close. */
    private final CompletableFuture<Live<T>> first = new CompletableFuture<>();
    /** Failed attempts since the last success. Confined to {@link #ops}. */
    private int attempts;
    private volatile Live<T> live;
    private volatile boolean closed;

    NatsLink(String name, NatsSettings settings, Duration timeout, Prepare<T> prepare) {
        this.name = Objects.requireNonNull(name, "name");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.prepare = Objects.requireNonNull(prepare, "prepare");
        int n = INSTANCES.incrementAndGet();
        this.ops = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "switchboard-nats-link-" + n);
            t.setDaemon(true);
            return t;
        });
        this.options = NatsOptions.builder(settings, timeout).connectionListener(this::event)
                .errorListener(new Problems()).build();
    }

    /** Starts connecting in the background. */
    NatsLink<T> start() {
        submit(this::connectOnce, Duration.ZERO);
        try {
            ops.scheduleWithFixedDelay(this::watchdog, WATCHDOG.toMillis(), WATCHDOG.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("{}: closed before it started", name);
        }
        return this;
    }

    /** The live connection; before the first, waits for it up to the deadline; after, fails at once when down. */
    CompletionStage<Live<T>> ready() {
        Live<T> l = live;
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException(name + " is closed"));
        }
        if (l != null && l.connection().getStatus() == Connection.Status.CONNECTED) {
            return CompletableFuture.completedFuture(l);
        }
        if (!first.isDone()) {
            return first.copy().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        return CompletableFuture.failedFuture(new IllegalStateException(name + ": NATS not connected"));
    }

    /**
     * A request with a deadline of our own: jnats times requests out on the connection's timer, which stops
     * with the connection, so a request caught by a connection's loss could otherwise never complete, and
     * whatever waits on it (a room's next append, the callers sharing a read) would wait for ever.
     */
    static CompletableFuture<Message> request(Connection c, String subject, Headers headers, byte[] body,
                                              Duration timeout) {
        CompletableFuture<Message> reply;
        try {
            reply = c.requestWithTimeout(subject, headers, body, timeout);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return reply.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Whether a connection is up and prepared. */
    boolean isConnected() {
        Live<T> l = live;
        return !closed && l != null && l.connection().getStatus() == Connection.Status.CONNECTED;
    }

    /** Drops the live connection and connects anew, e.g. after the prepared stream vanished. */
    void reprepare(Connection c) {
        Live<T> l = live;
        if (l != null && l.connection() == c) {
            log.warn("{}: preparing the connection again", name);
            replace(c);
            closeQuietly(c);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ops.shutdownNow();
        first.completeExceptionally(new IllegalStateException(name + " is closed"));
        Live<T> l = live;
        live = null;
        if (l != null) {
            closeQuietly(l.connection());
        }
    }

    private void connectOnce() {
        if (closed || live != null) {
            return;
        }
        Connection c = null;
        try {
            c = Nats.connect(options);
            Live<T> made = new Live<>(c, prepare.prepare(c));
            if (closed) {
                closeQuietly(c);
                return;
            }
            live = made;
            log.info("{}: connected to {} after {} failed attempts", name, c.getConnectedUrl(), attempts);
            attempts = 0;
            first.complete(made);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (c != null) {
                closeQuietly(c);
            }
        } catch (Exception e) {
            if (c != null) {
                closeQuietly(c);
            }
            attempts++;
            Duration wait = backoff.delay(attempts);
            if (attempts == 1) {
                log.warn("{}: cannot connect or prepare ({}); retrying in the background", name, e.toString());
            } else {
                log.debug("{}: attempt {} failed ({}); next in {} ms", name, attempts, e, wait.toMillis());
            }
            submit(this::connectOnce, wait);
        }
    }

    private void event(Connection c, ConnectionListener.Events event) {
        Live<T> l = live;
        if (l == null || l.connection() != c || closed) {
            return;
        }
        if (event == ConnectionListener.Events.CLOSED) {
            replace(c);
        } else if (event == ConnectionListener.Events.DISCONNECTED) {
            log.warn("{}: connection lost", name);
        }
    }

    private void watchdog() {
        Live<T> l = live;
        if (l != null && l.connection().getStatus() == Connection.Status.CLOSED) {
            replace(l.connection());
        }
    }

    private synchronized void replace(Connection c) {
        Live<T> l = live;
        if (closed || l == null || l.connection() != c) {
            return;
        }
        live = null;
        log.info("{}: connection closed; reconnecting in the background", name);
        submit(this::connectOnce, Duration.ZERO);
    }

    private void submit(Runnable task, Duration delay) {
        try {
            ops.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("{}: task dropped, link closed", name);
        }
    }

    private void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.debug("{}: error closing a connection: {}", name, e.toString());
        }
    }

    @Override
    public String toString() {
        return name;
    }

    /**
     * jnats' own listener logs every refused connect as SEVERE; the connect attempts above already say what
     * matters, so those go to debug. A server's error is worth a warning.
     */
    private final class Problems implements ErrorListener {
        @Override
        public void errorOccurred(Connection conn, String error) {
            log.warn("{}: server error: {}", name, error);
        }

        @Override
        public void exceptionOccurred(Connection conn, Exception exp) {
            log.debug("{}: {}", name, exp.toString());
        }

        @Override
        public void messageDiscarded(Connection conn, Message msg) {
            log.debug("{}: a request to {} did not fit in the outgoing buffer; it fails by its deadline", name,
                    msg.getSubject());
        }
    }
}
