package io.switchboard.server.http;

import io.switchboard.server.buffer.DirectMemory;
import io.switchboard.server.observability.HealthCheck;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.concurrent.EventExecutor;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.hub.Shard;
import io.switchboard.core.internal.SlidingRate;
import io.switchboard.protocol.internal.Failures;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * {@code GET /health}, {@code GET /ready} and {@code GET /stats} (PROTOCOL.md section 8). Health runs
 * every named check with a timeout, asynchronously, so a stuck event loop shows up as a failed check
 * instead of a stuck request. Thread-safe.
 */
public final class HealthEndpoint {
    /** How long a check may take before it counts as failed. */
    public static final long CHECK_TIMEOUT_MILLIS = 1000;

    private final Hub hub;
    private final String version;
    private final long startNanos = System.nanoTime();
    private final BooleanSupplier draining;
    private final BooleanSupplier started;
    private final Map<String, HealthCheck> checks = new LinkedHashMap<>();
    private final SlidingRate messageRate;

    public HealthEndpoint(Hub hub, EventLoopGroup workers, String version, BooleanSupplier started, BooleanSupplier draining,
                   SlidingRate messageRate) {
        this.hub = hub;
        this.version = version;
        this.started = started;
        this.draining = draining;
        this.messageRate = messageRate;
        checks.put("eventLoops", () -> eventLoopsRespond(workers));
        checks.put("hub", this::hubAcceptsWork);
    }

    /** Adds a named check (brokers, stores) to {@code /health}. */
    public void register(String name, HealthCheck check) {
        checks.put(name, check);
    }

    /** Every worker loop runs a task within the timeout. */
    private static CompletableFuture<Void> eventLoopsRespond(EventLoopGroup workers) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (EventExecutor loop : workers) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            loop.execute(() -> f.complete(null));
            all.add(f);
        }
        return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]));
    }

    /** No shard sits at its bound of queued deliveries. */
    private CompletableFuture<Void> hubAcceptsWork() {
        int max = hub.config().hub().maxPendingFanouts();
        List<String> full = new ArrayList<>();
        hub.forEachShard((Shard s) -> {
            if (s.pendingTasks() >= max) {
                full.add(String.valueOf(s.pendingTasks()));
            }
        });
        return full.isEmpty() ? CompletableFuture.completedFuture(null)
                : CompletableFuture.failedFuture(new IllegalStateException(
                        full.size() + " event loop(s) at hub.maxPendingFanouts queued deliveries"));
    }

    void health(ChannelHandlerContext ctx, FullHttpRequest req) {
        long start = System.nanoTime();
        Map<String, Object> results = new LinkedHashMap<>();
        List<CompletableFuture<Void>> running = new ArrayList<>();
        AtomicBoolean failed = new AtomicBoolean();
        for (Map.Entry<String, HealthCheck> e : checks.entrySet()) {
            long t0 = System.nanoTime();
            CompletableFuture<Void> f;
            try {
                f = e.getValue().run();
            } catch (RuntimeException ex) {
                f = CompletableFuture.failedFuture(ex);
            }
            running.add(f.orTimeout(CHECK_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS).handle((ok, err) -> {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("status", err == null ? "ok" : "fail");
                if (err != null) {
                    failed.set(true);
                    Throwable cause = Failures.rootCause(err);
                    r.put("error", cause instanceof TimeoutException
                            ? "timed out after " + CHECK_TIMEOUT_MILLIS + " ms" : String.valueOf(cause.getMessage()));
                }
                r.put("durationMs", (System.nanoTime() - t0) / 1_000_000);
                synchronized (results) {
                    results.put(e.getKey(), r);
                }
                return null;
            }));
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        CompletableFuture.allOf(running.toArray(new CompletableFuture<?>[0])).whenComplete((v, err) ->
                HttpResponses.later(ctx, () -> {
                    boolean isDraining = draining.getAsBoolean();
                    String status = isDraining ? "draining" : failed.get() ? "fail" : "ok";
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("status", status);
                    body.put("timestamp", System.currentTimeMillis());
                    body.put("duration", (System.nanoTime() - start) / 1_000_000);
                    synchronized (results) {
                        Map<String, Object> ordered = new LinkedHashMap<>();
                        checks.keySet().forEach(name -> ordered.put(name, results.get(name)));
                        body.put("checks", ordered);
                    }
                    body.put("system", system());
                    HttpResponseStatus code = "ok".equals(status) ? HttpResponseStatus.OK
                            : HttpResponseStatus.SERVICE_UNAVAILABLE;
                    HttpResponses.json(ctx, keepAlive, code, hub.codec().encodeValue(body));
                }));
    }

    private Map<String, Object> system() {
        Map<String, Object> s = new LinkedHashMap<>();
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        long gcTime = 0;
        long gcCount = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcTime += Math.max(0, gc.getCollectionTime());
            gcCount += Math.max(0, gc.getCollectionCount());
        }
        s.put("uptimeMs", (System.nanoTime() - startNanos) / 1_000_000);
        s.put("threads", ManagementFactory.getThreadMXBean().getThreadCount());
        s.put("heapUsedBytes", heap.getUsed());
        s.put("heapMaxBytes", heap.getMax());
        s.put("directUsedBytes", DirectMemory.used());
        s.put("gcPauseTotalMs", gcTime);
        s.put("gcCount", gcCount);
        s.put("version", version);
        s.put("connections", hub.connectionCount());
        return s;
    }

    void ready(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (draining.getAsBoolean()) {
            HttpResponses.text(ctx, req, HttpResponseStatus.SERVICE_UNAVAILABLE, "draining");
        } else if (!started.getAsBoolean()) {
            HttpResponses.text(ctx, req, HttpResponseStatus.SERVICE_UNAVAILABLE, "starting");
        } else {
            HttpResponses.text(ctx, req, HttpResponseStatus.OK, "ready");
        }
    }

    void stats(ChannelHandlerContext ctx, FullHttpRequest req) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("connectionsActive", hub.connectionCount());
        body.put("connectionsTotal", hub.stats().connectionsTotal());
        body.put("messagesSent", hub.stats().messagesSent());
        body.put("messagesReceived", hub.stats().messagesReceived());
        body.put("messagesPerSecond", Math.round(messageRate.perSecond() * 10) / 10.0);
        body.put("rooms", hub.roomCount());
        HttpResponses.json(ctx, req, HttpResponseStatus.OK, hub.codec().encodeValue(body));
    }
}
