package io.switchboard.cli.bench;

import io.switchboard.client.ClientConfig;
import io.switchboard.client.ClientListener;
import io.switchboard.client.SwitchboardClient;
import io.switchboard.client.SwitchboardClients;
import io.switchboard.protocol.internal.Failures;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;

/**
 * What every scenario shares: connections (bounded connect concurrency, source addresses
 * round-robin), counters, the latency recorder, the fixed-rate pacer and the progress line.
 *
 * <p>Thread-safe: counters and the recorder are written from event loops (bench callbacks run
 * inline on them to keep thread hops out of the measurement), read by the progress thread.
 */
final class BenchRun implements AutoCloseable {
    /** Distinct error causes kept for the summary; later new ones are counted as "other causes". */
    private static final int MAX_ERROR_CAUSES = 16;

    final BenchOptions options;
    final LongAdder sent = new LongAdder();
    final LongAdder expected = new LongAdder();
    final LongAdder delivered = new LongAdder();
    private final LongAdder errors = new LongAdder();
    /** Errors by cause; at most {@link #MAX_ERROR_CAUSES} (+1) entries. Guarded by itself. */
    private final Map<String, Long> errorCauses = new LinkedHashMap<>();
    /** Latencies in nanoseconds. */
    private final RecordedHistogram latency = new RecordedHistogram();
    /** Warmup latencies, never read: see {@link #recordWarmup}. */
    private final RecordedHistogram warmupLatency = new RecordedHistogram();
    /**
     * How late the pacer sent each measured message (nanoseconds after its intended time): the load
     * generator's own share of the latency.
     */
    private final RecordedHistogram sendLag = new RecordedHistogram();
    /** Whether this run sends at a fixed rate, so that it has a send lag to show. */
    private volatile boolean paced;
    private final List<SwitchboardClient> clients = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger nextAddress = new AtomicInteger();
    private final AtomicInteger nextUser = new AtomicInteger();
    private final PrintStream err;
    /** Connections of the run besides its clients (the lean ones), counted by {@link #alive()}; closed with it. */
    private final List<Connections> others = Collections.synchronizedList(new ArrayList<>());
    private Thread progress;
    private volatile boolean progressRunning;
    final long startNanos = System.nanoTime();
    /** Messages intended before this instant belong to the warmup: sent, but never counted or recorded. */
    volatile long measureFromNanos = Long.MIN_VALUE;
    /** When sending stops; {@link #windowArrivals} counts up to here. */
    volatile long measureToNanos = Long.MAX_VALUE;
    /**
     * Bench messages received between {@link #measureFromNanos} and {@link #measureToNanos}, whenever they
     * were sent (lean receivers only): the rate a saturated server sustains, which {@code delivered} (the
     * measured messages that arrived at all) does not show when a backlog of warmup messages is ahead of them.
     */
    final LongAdder windowArrivals = new LongAdder();
    /** Bytes of every complete frame lean connections received (headers included), whatever it carried. */
    final LongAdder frameBytes = new LongAdder();
    /** Payload bytes of the {@code room_joined} replies lean connections received. */
    final LongAdder roomJoinedBytes = new LongAdder();
    /** Lean connections are opened only until this instant; later ones are not started. */
    volatile long openUntilNanos = Long.MAX_VALUE;
    /** Send times from here on are not counted; only an anchored run (see {@link #anchorOnFirstMessage}) sets it. */
    private volatile long countsBeforeNanos = Long.MAX_VALUE;
    /** Whether the next bench message sets the measured window. */
    private volatile boolean anchoring;
    private final CountDownLatch anchored = new CountDownLatch(1);

    BenchRun(BenchOptions options, PrintStream err) {
        this.options = options;
        this.err = err;
    }

    // ---------------------------------------------------------------- errors

    /**
     * Counts an error and what caused it ({@code "closed: 1008 rate limit exceeded"}). The first of each
     * cause is printed at once, so that a run going wrong says why while it runs.
     */
    void error(String cause) {
        errors.increment();
        long seen;
        synchronized (errorCauses) {
            String key = errorCauses.containsKey(cause) || errorCauses.size() < MAX_ERROR_CAUSES ? cause : "other causes";
            seen = errorCauses.merge(key, 1L, Long::sum);
        }
        if (seen == 1) {
            err.print((System.console() != null ? System.lineSeparator() : "") + "error: " + cause + System.lineSeparator());
            err.flush();
        }
    }

    /** Counts a failed operation as an error, its exception (unwrapped) as the cause. */
    void error(String what, Throwable failure) {
        Throwable t = Failures.rootCause(failure);
        error(what + ": " + (t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName()));
    }

    /** Counts a server {@code error} message, its code and text as the cause. */
    void serverError(String code, String message) {
        error("server error " + code + ": " + message);
    }

    /** A line on stderr, whatever the progress setting: a state another process may wait for. */
    void note(String line) {
        err.println(line);
        err.flush();
    }

    /** Counts a connection the server closed while measuring, its close code and reason as the cause. */
    void closed(int code, String reason) {
        error("closed: " + code + (reason == null || reason.isEmpty() ? "" : " " + reason));
    }

    long errors() {
        return errors.sum();
    }

    /** Errors by cause, most frequent first. */
    Map<String, Long> errorCauses() {
        List<Map.Entry<String, Long>> entries = new ArrayList<>();
        synchronized (errorCauses) {
            errorCauses.forEach((cause, n) -> entries.add(Map.entry(cause, n)));
        }
        entries.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        Map<String, Long> m = new LinkedHashMap<>();
        entries.forEach(e -> m.put(e.getKey(), e.getValue()));
        return m;
    }

    // ---------------------------------------------------------------- connections

    /** A client configured for load: no reconnect (a drop is an error), callbacks inline, deep queue. */
    SwitchboardClient client(ClientListener listener) {
        return client(listener, options.url());
    }

    private SwitchboardClient client(ClientListener listener, URI url) {
        ClientConfig.Builder b = ClientConfig.builder(withUser(url, nextUser()))
                .reconnect(false)
                .callbackExecutor(Runnable::run)
                .maxQueuedCommands(1 << 16)
                .ackTimeout(Duration.ofSeconds(30))
                .connectTimeout(Duration.ofSeconds(30));
        InetAddress local = nextLocalAddress();
        if (local != null) {
            b.localAddress(local);
        }
        SwitchboardClient c = SwitchboardClients.create(b.build(), listener);
        clients.add(c);
        return c;
    }

    /** A short random id that keeps the rooms of this run apart from those of another run on the same server. */
    static String runId() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
    }

    /** Waits, at most a minute, for {@code futures}; their failures are counted as errors where they happen. */
    static void awaitQuietly(List<? extends CompletableFuture<?>> futures) {
        try {
            CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            // counted as errors by the individual futures
        }
    }

    /** Adds {@code id=USER} unless the URL names one (several connections may share a user). */
    static URI withUser(URI url, String user) {
        String q = url.getRawQuery();
        if (q != null && (q.startsWith("id=") || q.contains("&id="))) {
            return url;
        }
        String s = url.toString();
        return URI.create(s + (q == null ? "?" : "&") + "id=" + user);
    }

    /**
     * Opens {@code n} connections, at most {@link BenchOptions#inFlight} at a time; failures count
     * as errors. Returns the connected ones, in index order, and records connect latency when asked.
     */
    List<SwitchboardClient> openAll(int n, IntFunction<ClientListener> listeners, boolean recordConnectLatency)
            throws InterruptedException {
        return openAll(n, listeners, recordConnectLatency, options.url());
    }

    /** Opens {@code n} connections to {@code url}; see {@link #openAll(int, IntFunction, boolean)}. */
    List<SwitchboardClient> openAll(int n, IntFunction<ClientListener> listeners, boolean recordConnectLatency,
                                    URI url) throws InterruptedException {
        Semaphore inFlight = new Semaphore(options.inFlight());
        List<CompletableFuture<SwitchboardClient>> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            inFlight.acquire();
            SwitchboardClient c = client(listeners.apply(i), url);
            long start = System.nanoTime();
            all.add(c.connect().handle((w, error) -> {
                inFlight.release();
                if (error != null) {
                    error("connect failed", error);
                    return null;
                }
                if (recordConnectLatency) {
                    record(start);
                }
                return c;
            }));
        }
        List<SwitchboardClient> open = new ArrayList<>();
        for (CompletableFuture<SwitchboardClient> f : all) {
            SwitchboardClient c = f.join();
            if (c != null) {
                open.add(c);
            }
        }
        return open;
    }

    /** The next user of the run's connections: several connections share none. */
    String nextUser() {
        return "bench-" + nextUser.incrementAndGet();
    }

    /** The next of {@link BenchOptions#localAddresses}, round-robin, or null to let the system choose. */
    InetAddress nextLocalAddress() {
        List<InetAddress> addresses = options.localAddresses();
        return addresses.isEmpty() ? null : addresses.get(Math.floorMod(nextAddress.getAndIncrement(), addresses.size()));
    }

    /** Connections the run does not open itself: counted by {@link #alive()}, closed with the run. */
    interface Connections {
        /** How many are open now. */
        long alive();

        /** Closes them all. */
        void close();
    }

    /** Counts {@code connections} in {@link #alive()} from now on, and closes them with the run. */
    void closeWithRun(Connections connections) {
        others.add(connections);
    }

    // ---------------------------------------------------------------- measurement

    /** Whether something intended at this instant is measured (not warmup). */
    boolean counts(long intendedNanos) {
        if (anchoring) {
            anchor(intendedNanos);
        }
        return intendedNanos >= measureFromNanos && intendedNanos < countsBeforeNanos;
    }

    /**
     * Makes the first bench message that arrives set the measured window: from its send time plus the
     * warmup, for the duration. A fanout run that only subscribes ({@code --publishers 0}) has no schedule of
     * its own; anchored on the first message of a publisher in another process that started sending after
     * this one joined, it measures the same window of send times as that publisher does (its send times are
     * {@link System#nanoTime()} of the same machine: on Linux one monotonic clock for every process).
     */
    void anchorOnFirstMessage() {
        measureFromNanos = Long.MAX_VALUE;
        anchoring = true;
    }

    private synchronized void anchor(long firstSentNanos) {
        if (!anchoring) {
            return;
        }
        long from = firstSentNanos + options.warmup().toNanos();
        measureToNanos = from + options.duration().toNanos();
        countsBeforeNanos = measureToNanos;
        measureFromNanos = from;
        anchoring = false;
        anchored.countDown();
    }

    /** Waits for {@link #anchorOnFirstMessage}'s first message; false when none came in time. */
    boolean awaitAnchor(Duration timeout) throws InterruptedException {
        return anchored.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Records the latency of something that was due (intended) at {@code intendedNanos}. */
    void record(long intendedNanos) {
        latency.record(System.nanoTime() - intendedNanos);
    }

    /**
     * Records a warmup latency where nothing reads it, so the receive path runs the same code before
     * measuring as during it: compiling the recording when measuring began showed as a latency spike in
     * the first measured second of every fan-out run.
     */
    void recordWarmup(long intendedNanos) {
        warmupLatency.record(System.nanoTime() - intendedNanos);
    }

    /**
     * Calls {@code send} with consecutive sequence numbers and their intended times at a fixed
     * rate until the duration ends. When the sender falls behind it catches up in a burst, and
     * each late message keeps its intended time: the delay it suffered is part of its latency
     * (the coordinated-omission correction of wrk2 and HdrHistogram's documentation).
     */
    void paced(int ratePerSecond, long start, long end, Sender send) {
        long intervalNanos = Math.max(1, 1_000_000_000L / Math.max(1, ratePerSecond));
        paced = true;
        long seq = 0;
        while (true) {
            long now = System.nanoTime();
            if (now >= end) {
                return;
            }
            long due = start + seq * intervalNanos;
            if (due > now) {
                LockSupport.parkNanos(Math.min(due - now, 1_000_000));
                continue;
            }
            if (counts(due)) {
                sendLag.record(now - due);
            }
            send.send(seq, due);
            seq++;
        }
    }

    /** One send of the pacer. */
    interface Sender {
        void send(long seq, long intendedNanos);
    }

    /**
     * Waits until {@code delivered >= expected} or the timeout, for deliveries still in flight when
     * sending stops. Returns the seconds from the start of measuring to the end of the wait: what a
     * throughput divides by, so a server that delivers late is not credited with the sending rate.
     */
    double drain(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (delivered.sum() < expected.sum() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return (System.nanoTime() - measureFromNanos) / 1e9;
    }

    /**
     * The measured window as wall-clock instants, {@code measuredFromEpochMillis} and
     * {@code measuredToEpochMillis} (now), so that an outside observer sampling CPU can account for the
     * measured part alone, without connection setup, joins and warmup.
     */
    Map<String, Object> measuredWindow() {
        long nowNanos = System.nanoTime();
        long nowMillis = System.currentTimeMillis();
        Map<String, Object> window = new LinkedHashMap<>();
        window.put("measuredFromEpochMillis", nowMillis - (nowNanos - measureFromNanos) / 1_000_000);
        window.put("measuredToEpochMillis", nowMillis);
        return window;
    }

    /** Starts the once-a-second progress line (stderr) with a scenario-specific tail. */
    void startProgress(LongSupplier connectionsAlive) {
        progressRunning = true;
        progress = new Thread(() -> {
            while (progressRunning) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
                Histogram last = latency.takeInterval();
                Histogram lag = sendLag.takeInterval();
                if (options.progress()) {
                    long secs = Duration.ofNanos(System.nanoTime() - startNanos).toSeconds();
                    String line = String.format(Locale.ROOT,
                            "[%3ds]%s conns %d  sent %d  delivered %d  errors %d  last 1s: p50 %.0f us  p99 %.0f us  max %.0f us%s",
                            secs, System.nanoTime() < measureFromNanos ? " (warmup)" : "", connectionsAlive.getAsLong(), sent.sum(), delivered.sum(), errors(),
                            last.getValueAtPercentile(50) / 1000.0, last.getValueAtPercentile(99) / 1000.0,
                            last.getMaxValue() / 1000.0, paced ? String.format(Locale.ROOT, "  send lag max %.0f us",
                                    lag.getMaxValue() / 1000.0) : "");
                    err.print(System.console() != null ? "\r" + line + "   " : line + System.lineSeparator());
                    err.flush();
                }
            }
        }, "bench-progress");
        progress.setDaemon(true);
        progress.start();
    }

    /**
     * The pacer's lateness over the measured messages, in nanoseconds: when its percentiles come near the
     * latency's, the load generator, not the server, made the delay.
     */
    Histogram sendLag() {
        return sendLag.total();
    }

    /** Stops the progress line and returns every latency recorded. */
    Histogram finish() throws InterruptedException {
        progressRunning = false;
        if (progress != null) {
            progress.interrupt();
            progress.join(2000);
            if (options.progress() && System.console() != null) {
                err.println();
            }
        }
        return latency.total();
    }

    /** Drops a closed client from the run's list (churn makes many). */
    void forget(SwitchboardClient c) {
        clients.remove(c);
    }

    /** Connections open now: clients and lean connections alike. */
    long alive() {
        long n = 0;
        synchronized (others) {
            for (Connections c : others) {
                n += c.alive();
            }
        }
        synchronized (clients) {
            for (SwitchboardClient c : clients) {
                if (c.state() == io.switchboard.client.ConnectionState.CONNECTED) {
                    n++;
                }
            }
        }
        return n;
    }

    @Override
    public void close() {
        List<Connections> othersToClose;
        synchronized (others) {
            othersToClose = List.copyOf(others);
        }
        othersToClose.forEach(Connections::close);
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        synchronized (clients) {
            for (SwitchboardClient c : clients) {
                closing.add(c.closeAsync());
            }
            clients.clear();
        }
        try {
            CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0])).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // best effort: the JVM exits next
        }
    }
}
