package io.switchboard.server.observability;

import io.switchboard.server.buffer.DirectMemory;
import io.switchboard.server.buffer.Buffers;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.NamingConvention;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.switchboard.core.DisconnectReason;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.core.transport.Session;
import io.switchboard.protocol.Command;
import io.switchboard.protocol.ErrorCode;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link HubMetrics} on a Prometheus registry of its own, plus the server-side series (upgrade
 * rejections, transport errors, memory, event loops) and the JVM and Netty binders. Thread-safe.
 *
 * <p>Every meter of every label combination is created in the constructor and kept in arrays indexed
 * by enum ordinal or in maps keyed by constant strings: recording is an adder increment or a histogram
 * bucket increment, with no lookup by tag, no allocation and no lock. The per-message histograms are
 * {@link BucketHistograms}, several times cheaper per record than Micrometer's. Gauges are read at
 * scrape time.
 */
public final class MicrometerHubMetrics implements HubMetrics, AutoCloseable {
    /** Label value of {@code reason} on accepted connections (Prometheus wants one label set per name). */
    static final String NO_REASON = "none";
    /** Reasons an upgrade is refused; anything else is counted as {@code other}. */
    static final List<String> REJECT_REASONS = List.of("origin", "auth", "limit", "draining", "full", "bad_request",
            "other");
    /** Transport-level error types ({@code component="transport"}). */
    static final List<String> TRANSPORT_ERRORS = List.of("exception", "bad_binary", "message_too_big",
            "invalid_utf8", "too_many_fragments", "message_assembly_timeout");
    static final String COMPONENT_PROTOCOL = "protocol";
    static final String COMPONENT_COMMAND = "command";
    static final String COMPONENT_TRANSPORT = "transport";
    private static final String OTHER = "other";

    private static final long[] SIZE_BUCKETS = {64, 128, 256, 512, 1024, 4096, 16384, 65536, 262144, 1048576};
    /** Nanoseconds: 10 µs to 1 s. */
    private static final long[] PROCESSING_BUCKETS = {10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000, 100_000_000, 250_000_000,
        1_000_000_000};
    /** Nanoseconds: 100 µs to 1 s, finer from 10 to 100 ms, where a saturated event loop's batches wait. */
    private static final long[] FANOUT_WAIT_BUCKETS = {100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000,
        10_000_000, 15_000_000, 20_000_000, 25_000_000, 30_000_000, 40_000_000, 50_000_000, 75_000_000,
        100_000_000, 150_000_000, 250_000_000, 500_000_000, 1_000_000_000};
    private static final Duration[] CONNECTION_BUCKETS = {Duration.ofSeconds(1), Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15),
        Duration.ofHours(1), Duration.ofHours(4), Duration.ofHours(12), Duration.ofHours(24)};
    private static final double[] ROOM_BUCKETS = {1, 2, 5, 10, 25, 50, 100, 250, 1000, 10000, 100000};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();

    private final Counter accepted;
    private final Map<String, Counter> rejected = new HashMap<>();
    private final Timer[] closedBy = new Timer[DisconnectReason.values().length];
    private final Counter slowConsumerCloses;
    /** hub.overloadPolicy: throttle; [0] clients' reads paused, [1] API publishes refused. */
    private final Counter[] throttled = new Counter[2];
    private final Counter latestReplaced;
    private final Counter[] inbound = new Counter[FrameType.values().length];
    private final Counter[] outbound = new Counter[FrameType.values().length];
    /** The per-message histograms; see {@link BucketHistograms} for why they are not Micrometer's. */
    private final BucketHistograms histograms = new BucketHistograms();
    private final BucketHistograms.Family sizeFamily = histograms.family("websocket_message_size_bytes",
            "Payload size of WebSocket data messages; outbound: one sample per message and event loop, not per "
                    + "recipient", SIZE_BUCKETS, 1);
    private final BucketHistograms.Family processingFamily = histograms.family(
            "websocket_message_processing_duration_seconds",
            "Time from an inbound message to its reply being queued, by command type", PROCESSING_BUCKETS, 1e9);
    private final BucketHistograms.Histogram[] inboundSize = new BucketHistograms.Histogram[FrameType.values().length];
    private final BucketHistograms.Histogram[] outboundSize =
            new BucketHistograms.Histogram[FrameType.values().length];
    private final Map<String, BucketHistograms.Histogram> processing = new HashMap<>();
    private final BucketHistograms.Histogram otherProcessing;
    private final BucketHistograms.Family brokerFamily = histograms.family(
            "websocket_broker_publish_duration_seconds",
            "Time for the broker (Redis, NATS) to accept a room message published to the other nodes, by outcome",
            PROCESSING_BUCKETS, 1e9);
    private final BucketHistograms.Histogram brokerOk = histograms.series(brokerFamily, "outcome", "ok");
    private final BucketHistograms.Histogram brokerFailed = histograms.series(brokerFamily, "outcome", "error");
    private final BucketHistograms.Histogram fanoutWait = histograms.series(histograms.family(
            "websocket_fanout_batch_wait_seconds",
            "Per flush of fan-out frames on an event loop: from the batch's first frame being queued to every "
                    + "socket of the batch written, the longest a frame of it waited on this server",
            FANOUT_WAIT_BUCKETS, 1e9));
    private final Map<String, Counter> protocolErrors = new HashMap<>();
    private final Map<String, Counter> commandErrors = new HashMap<>();
    private final Map<String, Counter> transportErrors = new HashMap<>();
    private final DistributionSummary clientsPerRoom;
    private final Counter deliveriesDropped;
    private final Counter presenceDiffsTruncated;
    private final Counter apiKeyInvalid;
    private final Counter apiKeyThrottled;

    /** A registry of its own with every series created; {@link #close} releases it. */
    public MicrometerHubMetrics() {
        keepGaugeNamesEndingInTotal();
        accepted = Counter.builder("websocket.connections").description("WebSocket upgrades accepted or rejected")
                .tag("status", "accepted").tag("reason", NO_REASON).register(registry);
        for (String reason : REJECT_REASONS) {
            rejected.put(reason, Counter.builder("websocket.connections")
                    .description("WebSocket upgrades accepted or rejected")
                    .tag("status", "rejected").tag("reason", reason).register(registry));
        }
        for (DisconnectReason r : DisconnectReason.values()) {
            closedBy[r.ordinal()] = Timer.builder("websocket.connection.duration")
                    .description("How long connections lasted, by why they ended")
                    .tag("disconnect_reason", r.label()).serviceLevelObjectives(CONNECTION_BUCKETS)
                    .register(registry);
        }
        slowConsumerCloses = Counter.builder("websocket.slow.consumer.closes")
                .description("Connections closed with 4008 because their outbound queue overflowed or stalled")
                .register(registry);
        for (FrameType t : FrameType.values()) {
            inbound[t.ordinal()] = messages("inbound", t);
            outbound[t.ordinal()] = messages("outbound", t);
            inboundSize[t.ordinal()] = histograms.series(sizeFamily, "direction", "inbound", "type", t.label());
            outboundSize[t.ordinal()] = histograms.series(sizeFamily, "direction", "outbound", "type", t.label());
        }
        for (Class<?> type : Command.class.getPermittedSubclasses()) {
            String name = commandType(type);
            processing.put(name, histograms.series(processingFamily, "message_type", name));
        }
        processing.put(INVALID_COMMAND, histograms.series(processingFamily, "message_type", INVALID_COMMAND));
        processing.put("binary", histograms.series(processingFamily, "message_type", "binary"));
        otherProcessing = histograms.series(processingFamily, "message_type", OTHER);
        registry.getPrometheusRegistry().register(histograms);
        for (ErrorCode code : ErrorCode.values()) {
            protocolErrors.put(code.wireName(), error(code.wireName(), COMPONENT_PROTOCOL));
            commandErrors.put(code.wireName(), error(code.wireName(), COMPONENT_COMMAND));
        }
        protocolErrors.put(OTHER, error(OTHER, COMPONENT_PROTOCOL));
        commandErrors.put(OTHER, error(OTHER, COMPONENT_COMMAND));
        for (String type : TRANSPORT_ERRORS) {
            transportErrors.put(type, error(type, COMPONENT_TRANSPORT));
        }
        clientsPerRoom = DistributionSummary.builder("websocket.clients.per.room")
                .description("Size of a room as each member joins it").serviceLevelObjectives(ROOM_BUCKETS)
                .register(registry);
        deliveriesDropped = Counter.builder("websocket.fanout.dropped")
                .description("Fan-out tasks dropped because an event loop had hub.maxPendingFanouts queued")
                .register(registry);
        for (int i = 0; i < 2; i++) {
            throttled[i] = Counter.builder("websocket.publish.throttled")
                    .description("Publishes into a backed-up room under hub.overloadPolicy: throttle: a client's "
                            + "reads paused, or an API publish answered unavailable")
                    .tag("action", i == 0 ? "paused" : "refused").register(registry);
        }
        latestReplaced = Counter.builder("websocket.latest.replaced")
                .description("delivery: latest rooms: messages held for a backed-up member and replaced by a newer one "
                        + "before it could take them")
                .register(registry);
        presenceDiffsTruncated = Counter.builder("websocket.presence.diff.truncated")
                .description("presence_diff messages that listed only some of their room's joins and leaves")
                .register(registry);
        apiKeyInvalid = apiKeyRefusal("invalid_key");
        apiKeyThrottled = apiKeyRefusal("throttled");
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new NettyAllocatorMetrics(Buffers.ALLOCATOR).bindTo(registry);
    }

    /** Adds the gauges that read the running server: connections, rooms, memory, event loops. */
    void bindServer(Hub hub, EventLoopGroup workers, ChannelGroup channels) {
        Gauge.builder("websocket.active.connections", hub, Hub::connectionCount)
                .description("Open WebSocket connections").strongReference(true).register(registry);
        Gauge.builder("websocket.rooms.total", hub, Hub::roomCount)
                .description("Rooms with at least one member").strongReference(true).register(registry);
        // The reading the direct-memory guard and /health use, so an alert on it matches what the server acts on.
        Gauge.builder("websocket.memory.usage", this, m -> DirectMemory.used()).baseUnit("bytes")
                .description("Memory in use by component").tag("component", "netty_direct")
                .strongReference(true).register(registry);
        Gauge.builder("websocket.memory.usage", memory, m -> m.getHeapMemoryUsage().getUsed()).baseUnit("bytes")
                .description("Memory in use by component").tag("component", "heap")
                .strongReference(true).register(registry);
        Gauge.builder("websocket.memory.usage", channels, MicrometerHubMetrics::queuedOutboundBytes)
                .baseUnit("bytes").description("Memory in use by component").tag("component", "queued_outbound")
                .strongReference(true).register(registry);
        Gauge.builder("websocket.fanout.pending.tasks", hub, MicrometerHubMetrics::pendingFanouts)
                .description("Fan-out tasks queued on the event loops and not yet run").strongReference(true)
                .register(registry);
        Gauge.builder("websocket.flush.delay", hub, MicrometerHubMetrics::longestFlushDelay).baseUnit("seconds")
                .description("Longest time an event loop now lets fan-out frames to one connection gather before "
                        + "flushing them (adaptive flushing; 0 while every loop flushes at once)")
                .strongReference(true).register(registry);
        Gauge.builder("websocket.publishers.paused", hub, Hub::pausedPublishers)
                .description("Connections whose reads are paused because they publish into a backed-up room "
                        + "(hub.overloadPolicy: throttle)")
                .strongReference(true).register(registry);
        Gauge.builder("websocket.broker.connected", hub, h -> h.broker().isConnected() ? 1 : 0)
                .description("1 while the broker is connected, its last command answered and its last probe came back")
                .strongReference(true).register(registry);
        FunctionCounter.builder("websocket.broker.probes.missed", hub, h -> h.broker().probesMissed())
                .description("Probes of the broker's own subscription that did not come back in time")
                .register(registry);
        new NettyEventExecutorMetrics(workers).bindTo(registry);
    }

    /** HTTP streaming commands forwarded to the session's node: waiting now, and the count of each outcome. */
    void bindStreamForwarding(IntSupplier waiting, Map<String, LongAdder> outcomes) {
        Gauge.builder("websocket.stream.forward.waiting", waiting, IntSupplier::getAsInt)
                .description("Commands posted here for another node's HTTP streaming session, waiting for its answer"
                        + " (bounded by cluster.maxPending)").strongReference(true).register(registry);
        outcomes.forEach((outcome, adder) -> FunctionCounter.builder("websocket.stream.forward", adder, LongAdder::sum)
                .description("HTTP streaming commands forwarded between nodes, by outcome (received: from other nodes)")
                .tag("outcome", outcome).register(registry));
    }

    PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Counts a refused upgrade; {@code reason} outside {@link #REJECT_REASONS} counts as {@code other}. */
    void upgradeRejected(String reason) {
        Counter c = rejected.get(reason);
        (c != null ? c : rejected.get(OTHER)).increment();
    }

    /** Counts an API call refused for its key: 401 for a missing or wrong one, 429 when not checked. */
    void apiKeyRefused(boolean throttled) {
        (throttled ? apiKeyThrottled : apiKeyInvalid).increment();
    }

    /** Counts a transport-level error; {@code type} is one of {@link #TRANSPORT_ERRORS}. */
    @Override
    public void transportError(String type) {
        Counter c = transportErrors.get(type);
        if (c != null) {
            c.increment();
        }
    }

    // ---------------------------------------------------------------- HubMetrics

    @Override
    public void connectionOpened() {
        accepted.increment();
    }

    @Override
    public void connectionClosed(DisconnectReason reason, long durationNanos) {
        closedBy[reason.ordinal()].record(durationNanos, TimeUnit.NANOSECONDS);
        if (reason == DisconnectReason.SLOW_CONSUMER) {
            slowConsumerCloses.increment();
        }
    }

    @Override
    public void messageReceived(FrameType type, int bytes) {
        inbound[type.ordinal()].increment();
        inboundSize[type.ordinal()].record(bytes);
    }

    @Override
    public void messagesSent(FrameType type, int count, int bytes) {
        outbound[type.ordinal()].increment(count);
        outboundSize[type.ordinal()].record(bytes);
    }

    @Override
    public void commandProcessed(String connId, Session session, String type, long startNanos, long endNanos,
                                 String error) {
        BucketHistograms.Histogram h = processing.get(type);
        (h != null ? h : otherProcessing).record(endNanos - startNanos);
    }

    @Override
    public void fanoutFlushed(long waitNanos) {
        fanoutWait.record(waitNanos);
    }

    @Override
    public void brokerPublished(long nanos, boolean ok) {
        (ok ? brokerOk : brokerFailed).record(nanos);
    }

    @Override
    public void decodeFailed(String code) {
        count(protocolErrors, code);
    }

    @Override
    public void commandFailed(String code) {
        count(commandErrors, code);
    }

    @Override
    public void roomJoined(int members) {
        clientsPerRoom.record(members);
    }

    @Override
    public void deliveryDropped() {
        deliveriesDropped.increment();
    }

    @Override
    public void latestReplaced() {
        latestReplaced.increment();
    }

    @Override
    public void publishThrottled(boolean paused) {
        throttled[paused ? 0 : 1].increment();
    }

    @Override
    public void presenceDiffTruncated() {
        presenceDiffsTruncated.increment();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }

    // ---------------------------------------------------------------- helpers

    /**
     * The Prometheus convention strips {@code _total} from gauge names; {@code websocket_rooms_total} is a
     * gauge by that name in the series we promise (issue 4), so it keeps its name.
     */
    private void keepGaugeNamesEndingInTotal() {
        NamingConvention base = registry.config().namingConvention();
        registry.config().namingConvention(new NamingConvention() {
            @Override
            public String name(String name, Meter.Type type, String baseUnit) {
                return type == Meter.Type.GAUGE && name.endsWith(".total")
                        ? base.name(name.substring(0, name.length() - ".total".length()), type, baseUnit) + "_total"
                        : base.name(name, type, baseUnit);
            }

            @Override
            public String tagKey(String key) {
                return base.tagKey(key);
            }

            @Override
            public String tagValue(String value) {
                return base.tagValue(value);
            }
        });
    }

    private static void count(Map<String, Counter> counters, String code) {
        Counter c = counters.get(code);
        (c != null ? c : counters.get(OTHER)).increment();
    }

    private Counter messages(String direction, FrameType type) {
        return Counter.builder("websocket.messages").description("WebSocket data messages")
                .tag("direction", direction).tag("type", type.label()).register(registry);
    }

    private Counter apiKeyRefusal(String reason) {
        return Counter.builder("api.requests.refused")
                .description("API calls refused for their key: invalid_key (401) or throttled (429, key not checked)")
                .tag("reason", reason).register(registry);
    }

    private Counter error(String type, String component) {
        return Counter.builder("websocket.errors").description("Errors answered or seen, by type and where")
                .tag("error_type", type).tag("component", component).register(registry);
    }

    /** The wire name in a command record's {@code TYPE} constant. */
    private static String commandType(Class<?> type) {
        try {
            return (String) type.getField("TYPE").get(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("command " + type.getSimpleName() + " has no TYPE constant", e);
        }
    }

    private static double queuedOutboundBytes(ChannelGroup channels) {
        long total = 0;
        for (Channel ch : channels) {
            ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
            if (out != null) {
                total += out.totalPendingWriteBytes();
            }
        }
        return total;
    }

    private static double longestFlushDelay(Hub hub) {
        AtomicLong longest = new AtomicLong();
        hub.forEachShard(s -> longest.accumulateAndGet(s.flushDelayNanos(), Math::max));
        return longest.get() / 1e9;
    }

    private static double pendingFanouts(Hub hub) {
        AtomicLong total = new AtomicLong();
        hub.forEachShard(s -> total.addAndGet(s.pendingTasks()));
        return total.get();
    }

}
