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
import java.nio.file.Path;
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
 * <p>With {@code hooks.spoolDir}, events also survive the process: an event loop hands an event to the intake
 * queue (bounded, drop-oldest, counted, like the queue), the spool thread writes what the intake holds to the
 * {@link Spool} and forces it to disk (one fsync per group of events taken, see the spool for the policy), and
 * only then queues the events for the sender. The sender moves the spool's mark past each batch the backend
 * acknowledges, and the spool thread past each event the queue drops. At start the events a previous run left
 * after the mark are queued first, under their own ids. A failed write is logged and its events are queued in
 * memory only, so that a full disk stops durability, not delivery.
 *
 * <p>Threading: {@link #emit} is called on event loops and returns at once; requests run on the sender's own
 * thread through the JDK HTTP client, file I/O on the spool thread and the sender's thread, never on an event
 * loop. Thread-safe.
 */
public final class WebhookSender implements LifecycleHooks, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WebhookSender.class);
    /** First retry after 100 ms to 200 ms, then doubling to a ceiling of 5 s: a restarted backend is found soon. */
    private static final Duration RETRY_MIN = Duration.ofMillis(100);
    private static final Duration RETRY_MAX = Duration.ofSeconds(5);
    /** Most events the spool thread writes with one fsync: a burst is written in few groups, none unbounded. */
    private static final int SPOOL_GROUP_MAX = 1000;

    private final URI url;
    private final Duration timeout;
    private final int batchMaxEvents;
    private final long batchMaxDelayNanos;
    private final Set<LifecycleEvent.Type> wanted = EnumSet.noneOf(LifecycleEvent.Type.class);
    private final Signatures signatures;
    /** What the sender posts from; with a spool, only events already written to it. */
    private final EventQueue<QueuedEvent> queue;
    /** Null unless {@code hooks.spoolDir} is set: the events not yet written to the spool. */
    private final EventQueue<LifecycleEvent> intake;
    /** Null unless {@code hooks.spoolDir} is set. */
    private final Path spoolDir;
    private final long spoolSegmentBytes;
    private final Spool.SegmentWriter spoolWriter;
    private final Backoff backoff = Backoff.atLeast(RETRY_MIN, RETRY_MAX, new java.util.Random());
    private final HttpClient http;
    private final Thread thread;
    /** Null unless {@code hooks.spoolDir} is set. */
    private final Thread spoolThread;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong failedAttempts = new AtomicLong();
    /** Attempts failed since the last success; 0 while the endpoint is healthy. */
    private volatile int failingStreak;
    private volatile String lastFailure = "";
    /** Events taken from the queue and not yet acknowledged. Sender thread writes. */
    private volatile int inFlight;
    private volatile boolean closing;
    /** Set once the spool thread has written its last events: the sender may then stop when the queue is empty. */
    private volatile boolean spoolDone;
    /** Opened by {@link #start}; null without a spool. */
    private volatile Spool spool;
    /** Whether the last spool write failed: one error starts a streak, one line ends it. Spool thread only. */
    private boolean spoolFailing;

    public WebhookSender(Hooks config) {
        this(config, Spool.SEGMENT_BYTES, Spool.SegmentWriter.FILE);
    }

    /**
     * With spool segments of {@code spoolSegmentBytes}, written through {@code spoolWriter}: tests roll segments
     * sooner, or make a write fail.
     */
    WebhookSender(Hooks config, long spoolSegmentBytes, Spool.SegmentWriter spoolWriter) {
        this.url = URI.create(config.url());
        this.timeout = config.timeout();
        this.batchMaxEvents = config.batchMaxEvents();
        this.batchMaxDelayNanos = config.batchMaxDelay().toNanos();
        config.events().forEach(name -> wanted.add(LifecycleEvent.Type.fromWireName(name)));
        this.signatures = new Signatures(config.secret());
        this.queue = new EventQueue<>(config.maxQueued());
        this.spoolDir = config.spoolDir().isEmpty() ? null : Path.of(config.spoolDir());
        this.spoolSegmentBytes = spoolSegmentBytes;
        this.spoolWriter = spoolWriter;
        this.intake = spoolDir == null ? null : new EventQueue<>(config.maxQueued());
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
        this.thread = new Thread(this::run, "switchboard-webhooks");
        thread.setDaemon(true);
        this.spoolThread = spoolDir == null ? null : new Thread(this::spool, "switchboard-webhooks-spool");
        if (spoolThread != null) {
            spoolThread.setDaemon(true);
        }
    }

    /**
     * Opens the spool, if any, queues what a previous run left there, and starts posting; events emitted before
     * wait in the queue (or the intake) behind those.
     *
     * @throws IOException naming {@code hooks.spoolDir} when the spool cannot be opened or another node holds it
     */
    public void start() throws IOException {
        if (spoolDir != null) {
            Spool opened = Spool.open(spoolDir, spoolSegmentBytes, spoolWriter);
            spool = opened;
            List<QueuedEvent> left = opened.takeRecovered();
            queueSpooled(left);
            log.info("webhooks: spooling to {}; {} events of a previous run to send first", opened.dir(), left.size());
            spoolThread.start();
        }
        thread.start();
        log.info("webhooks: posting {} to {}", wanted, url);
    }

    @Override
    public boolean wants(LifecycleEvent.Type type) {
        return wanted.contains(type);
    }

    @Override
    public void emit(LifecycleEvent event) {
        if (intake != null) {
            intake.offer(event);
        } else {
            queue.offer(new QueuedEvent(QueuedEvent.NOT_SPOOLED, event));
        }
    }

    /** The series of {@code webhook.*}: events queued, delivered and dropped, attempts failed. */
    public void bindMetrics(MeterRegistry registry) {
        Gauge.builder("webhook.queue.events", this, WebhookSender::waiting)
                .description("Lifecycle events waiting to be posted").register(registry);
        if (spoolDir != null) {
            Gauge.builder("webhook.spool.events", this, s -> s.spool == null ? 0 : s.spool.pending())
                    .description("Lifecycle events in the spool not yet acknowledged or dropped").register(registry);
        }
        FunctionCounter.builder("webhook.events", delivered, AtomicLong::get).tag("outcome", "delivered")
                .description("Lifecycle events posted (delivered) or dropped from a full queue").register(registry);
        FunctionCounter.builder("webhook.events", this, WebhookSender::dropped).tag("outcome", "dropped")
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
                    + " attempts in a row, last " + lastFailure + "; " + (waiting() + inFlight) + " events waiting"));
        };
    }

    /** Events dropped from the full queue (or intake) since start. */
    public long dropped() {
        return queue.dropped() + (intake == null ? 0 : intake.dropped());
    }

    /** Events queued or in the intake, not counting a batch in flight. */
    private int waiting() {
        return queue.size() + (intake == null ? 0 : intake.size());
    }

    /**
     * The spool thread: writes what the intake holds, then queues it, until closing and the intake is empty. An
     * unexpected failure costs the durability of the events taken, never their delivery, and the thread goes on:
     * if it stopped, every later event would wait in the intake until a restart.
     */
    private void spool() {
        try {
            while (true) {
                List<LifecycleEvent> taken = intake.take(SPOOL_GROUP_MAX, 0, () -> closing);
                if (taken.isEmpty()) {
                    return;
                }
                List<QueuedEvent> numbered;
                try {
                    numbered = write(taken);
                } catch (RuntimeException e) {
                    log.error("webhooks: writing {} events to the spool {} failed; they wait in memory only", taken.size(),
                            spoolDir, e);
                    numbered = notSpooled(taken);
                }
                queueSpooled(numbered);
            }
        } catch (InterruptedException e) {
            // close() gave up waiting
        } finally {
            spoolDone = true;
        }
    }

    private static List<QueuedEvent> notSpooled(List<LifecycleEvent> events) {
        return events.stream().map(ev -> new QueuedEvent(QueuedEvent.NOT_SPOOLED, ev)).toList();
    }

    /** The events numbered in the spool, or, if it cannot be written, numbered {@link QueuedEvent#NOT_SPOOLED}. */
    private List<QueuedEvent> write(List<LifecycleEvent> events) {
        try {
            List<QueuedEvent> written = spool.append(events);
            if (spoolFailing) {
                spoolFailing = false;
                log.warn("webhooks: the spool {} is written again", spoolDir);
            }
            return written;
        } catch (IOException e) {
            if (!spoolFailing) {
                spoolFailing = true;
                log.error("webhooks: cannot write the spool {} ({}); events wait in memory only, and are lost if the"
                        + " process stops, until it can", spoolDir, e.toString());
            }
            return notSpooled(events);
        }
    }

    /** Queues spooled events and moves the spool's mark past those the full queue drops. Not an event loop. */
    private void queueSpooled(List<QueuedEvent> events) {
        long droppedThrough = QueuedEvent.NOT_SPOOLED;
        for (QueuedEvent e : events) {
            QueuedEvent dropped = queue.offer(e);
            if (dropped != null) {
                droppedThrough = Math.max(droppedThrough, dropped.seq());
            }
        }
        mark(droppedThrough);
    }

    /** Moves the spool's mark to {@code seq}; a failure only means more is sent again after a restart. */
    private void mark(long seq) {
        Spool s = spool;
        if (s == null || seq == QueuedEvent.NOT_SPOOLED) {
            return;
        }
        try {
            s.markDone(seq);
        } catch (IOException e) {
            log.warn("webhooks: cannot record in the spool that events up to {} are done ({}); they will be sent"
                    + " again after a restart", seq, e.toString());
        }
    }

    /** Events delivered since start. */
    public long delivered() {
        return delivered.get();
    }

    private void run() {
        try {
            while (true) {
                List<QueuedEvent> batch = queue.take(batchMaxEvents, closing ? 0 : batchMaxDelayNanos,
                        () -> closing && (spoolThread == null || spoolDone));
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

    /** Posts one batch until the backend answers 2xx, then moves the spool's mark past it. Sender thread. */
    private void deliver(List<QueuedEvent> batch) throws InterruptedException {
        byte[] body = EventJson.encode(batch.stream().map(QueuedEvent::event).toList());
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
                    if (intake != null) {
                        intake.endDropStreak();
                    }
                    mark(batch.stream().mapToLong(QueuedEvent::seq).max().orElse(QueuedEvent.NOT_SPOOLED));
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
     * it could not post is logged, as lost, or as kept in the spool for the next start. Idempotent.
     */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        try {
            if (spoolThread != null && spoolThread.isAlive()) {
                // Not interrupted: an interrupt closes a FileChannel in the middle of a write.
                spoolThread.join(timeout.toMillis() + 500);
            }
            if (thread.isAlive()) {
                thread.join(timeout.toMillis() + 500);
                if (thread.isAlive()) {
                    thread.interrupt();
                    thread.join(1000);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int left = waiting() + inFlight;
        Spool s = spool;
        if (s != null) {
            s.close();
            if (left > 0) {
                log.warn("webhooks: {} events not delivered to {} at shutdown; those in the spool {} are sent at the"
                        + " next start", left, url, s.dir());
            }
        } else if (left > 0) {
            log.warn("webhooks: {} events not delivered to {} at shutdown", left, url);
        }
    }
}
