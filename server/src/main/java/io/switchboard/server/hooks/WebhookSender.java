package io.switchboard.server.hooks;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.switchboard.core.hooks.LifecycleEvent;
import io.switchboard.core.hooks.LifecycleHooks;
import io.switchboard.protocol.internal.Backoff;
import io.switchboard.server.config.Hooks;
import io.switchboard.server.observability.HealthCheck;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts lifecycle events to the backend ({@code hooks.*}): signed batches of up to {@code batchMaxEvents},
 * at least once, in the order they were emitted.
 *
 * <p>Why one sender thread and one request at a time: a batch is retried with backoff until the backend answers
 * 2xx, and nothing after it is sent before, so each connection's events arrive in order (a connect never
 * overtakes its disconnect) without per-connection bookkeeping. A receiver dedupes retries by event id. While
 * the backend is down, events wait in the {@link EventQueue} (bounded, drop-oldest, counted); the health check
 * fails from the first failed attempt to the next success.
 *
 * <p>Threading: {@link #emit} is called on event loops and returns at once; requests run on the sender's own
 * thread through the JDK HTTP client, never on an event loop. Thread-safe.
 */
public final class WebhookSender implements LifecycleHooks, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WebhookSender.class);
    /** First retry after 100 ms to 200 ms, then doubling to a ceiling of 5 s: a restarted backend is found soon. */
    private static final Duration RETRY_MIN = Duration.ofMillis(100);
    private static final Duration RETRY_MAX = Duration.ofSeconds(5);

    private final URI url;
    private final Duration timeout;
    private final int batchMaxEvents;
    private final long batchMaxDelayNanos;
    private final Set<LifecycleEvent.Type> wanted = EnumSet.noneOf(LifecycleEvent.Type.class);
    private final Signatures signatures;
    private final EventQueue queue;
    private final Backoff backoff = Backoff.atLeast(RETRY_MIN, RETRY_MAX, new java.util.Random());
    private final HttpClient http;
    private final Thread thread;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong failedAttempts = new AtomicLong();
    /** Attempts failed since the last success; 0 while the endpoint is healthy. */
    private volatile int failingStreak;
    private volatile String lastFailure = "";
    /** Events taken from the queue and not yet acknowledged. Sender thread writes. */
    private volatile int inFlight;
    private volatile boolean closing;

    public WebhookSender(Hooks config) {
        this.url = URI.create(config.url());
        this.timeout = config.timeout();
        this.batchMaxEvents = config.batchMaxEvents();
        this.batchMaxDelayNanos = config.batchMaxDelay().toNanos();
        config.events().forEach(name -> wanted.add(LifecycleEvent.Type.fromWireName(name)));
        this.signatures = new Signatures(config.secret());
        this.queue = new EventQueue(config.maxQueued());
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
        this.thread = new Thread(this::run, "switchboard-webhooks");
        thread.setDaemon(true);
    }

    /** Starts posting; events emitted before wait in the queue. */
    public void start() {
        thread.start();
        log.info("webhooks: posting {} to {}", wanted, url);
    }

    @Override
    public boolean wants(LifecycleEvent.Type type) {
        return wanted.contains(type);
    }

    @Override
    public void emit(LifecycleEvent event) {
        queue.offer(event);
    }

    /** The series of {@code webhook.*}: events queued, delivered and dropped, attempts failed. */
    public void bindMetrics(MeterRegistry registry) {
        Gauge.builder("webhook.queue.events", queue, EventQueue::size)
                .description("Lifecycle events waiting to be posted").register(registry);
        FunctionCounter.builder("webhook.events", delivered, AtomicLong::get).tag("outcome", "delivered")
                .description("Lifecycle events posted (delivered) or dropped from a full queue").register(registry);
        FunctionCounter.builder("webhook.events", queue, EventQueue::dropped).tag("outcome", "dropped")
                .description("Lifecycle events posted (delivered) or dropped from a full queue").register(registry);
        FunctionCounter.builder("webhook.attempts.failed", failedAttempts, AtomicLong::get)
                .description("Webhook requests that failed or got no 2xx (each is retried)").register(registry);
    }

    /** Fails from the first failed attempt until the next success, saying why and how much waits. */
    public HealthCheck healthCheck() {
        return () -> {
            int streak = failingStreak;
            if (streak == 0) {
                return CompletableFuture.completedFuture(null);
            }
            return CompletableFuture.failedFuture(new IllegalStateException(url + " failing: " + streak
                    + " attempts in a row, last " + lastFailure + "; " + (queue.size() + inFlight) + " events waiting"));
        };
    }

    /** Events dropped from the full queue since start. */
    public long dropped() {
        return queue.dropped();
    }

    /** Events delivered since start. */
    public long delivered() {
        return delivered.get();
    }

    private void run() {
        try {
            while (true) {
                List<LifecycleEvent> batch = queue.take(batchMaxEvents, closing ? 0 : batchMaxDelayNanos,
                        () -> closing);
                if (batch.isEmpty()) {
                    return; // closing and nothing left
                }
                inFlight = batch.size();
                deliver(batch);
                inFlight = 0;
            }
        } catch (InterruptedException e) {
            // close() gave up waiting; it reports what is left
        } catch (RuntimeException e) {
            log.error("webhook sender stopped", e);
        }
    }

    /** Posts one batch until the backend answers 2xx. Sender thread. */
    private void deliver(List<LifecycleEvent> batch) throws InterruptedException {
        byte[] body = EventJson.encode(batch);
        HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout)
                .header("Content-Type", "application/json")
                .header(Signatures.HEADER, signatures.sign(body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        for (long attempt = 1; ; attempt++) {
            String failure;
            try {
                int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status / 100 == 2) {
                    delivered.addAndGet(batch.size());
                    if (failingStreak > 0) {
                        log.info("webhooks: {} accepts events again after {} failed attempts", url, failingStreak);
                    }
                    failingStreak = 0;
                    queue.endDropStreak();
                    return;
                }
                failure = "status " + status;
            } catch (IOException e) {
                failure = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            }
            failedAttempts.incrementAndGet();
            lastFailure = failure;
            if (failingStreak++ == 0) {
                log.warn("webhooks: {} failed ({}); retrying with backoff, events wait in the queue", url, failure);
            }
            TimeUnit.NANOSECONDS.sleep(backoff.delay(attempt).toNanos());
        }
    }

    /**
     * Stops taking events and gives the sender {@code hooks.timeout} plus a little to post what is queued; what
     * it could not post is logged as lost. Idempotent.
     */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        if (!thread.isAlive()) {
            return;
        }
        try {
            thread.join(timeout.toMillis() + 500);
            if (thread.isAlive()) {
                thread.interrupt();
                thread.join(1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int left = queue.size() + inFlight;
        if (left > 0) {
            log.warn("webhooks: {} events not delivered to {} at shutdown", left, url);
        }
    }
}
