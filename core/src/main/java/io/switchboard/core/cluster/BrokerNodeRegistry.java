package io.switchboard.core.cluster;

import io.switchboard.core.TimeSource;
import io.switchboard.core.broker.Broker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link NodeRegistry} by heartbeat over a broker of its own (a second connection to the cluster's Redis or
 * NATS, so that the hub's broker and its listener stay untouched). Thread-safe.
 *
 * <h2>Design</h2>
 * <ul>
 *   <li><b>Heartbeat.</b> Every node publishes its {@link NodeInfo} on {@value #NODES_CHANNEL} every
 *       {@link #announceInterval()} (a third of the TTL, at most a second) and keeps the others' last
 *       announcements in an expiring table; a node
 *       not heard from for {@link #ttl()} is dropped at the next sweep (one interval later at most) and
 *       reported as expired. Closing publishes a goodbye, so a clean stop is seen at once. A node that sees a
 *       node it did not know announces itself at once, so that a new node learns the cluster in one round
 *       trip rather than one interval.</li>
 *   <li><b>Why a heartbeat, not keys with a TTL:</b> it works the same over every broker (Redis standalone,
 *       Sentinel or Cluster, NATS) with no scan of a key space, and the registry it builds is the node's
 *       own, readable while the broker is down.</li>
 *   <li><b>Rooms by asking the nodes.</b> {@link #rooms} publishes one request; every node answers on the
 *       asker's reply channel with its own first {@code limit + 1} rooms after the cursor, and
 *       {@link RoomPages#merge} builds the exact page from them. The answer waits for the nodes listed when it
 *       was asked, up to the call deadline; a node that does not answer in time is named in
 *       {@link RoomPage#missing()}. Each node reads only its own in-memory rooms, so the counts are the
 *       nodes' own at the moment they answered, and nothing is kept in a store that could go stale.</li>
 *   <li><b>Bounded.</b> At most {@link NodeRegistry#MAX_NODES} nodes, {@value #MAX_PENDING_LISTINGS} room
 *       listings in flight (more fail fast), {@value #MAX_QUEUED_ANSWERS} other nodes' room requests waiting for
 *       an answer (more are dropped and counted, {@link #answersDropped()}: the asker names this node missing), messages of at most {@link NodeCodec#MAX_PAYLOAD_BYTES};
 *       invalid messages are dropped, counted ({@link #rejected()}) and logged once per streak.</li>
 *   <li><b>Threads.</b> One scheduler thread of its own announces, sweeps, answers room requests and calls
 *       listeners; broker callbacks only decode, record and hand over, never block.</li>
 * </ul>
 */
public final class BrokerNodeRegistry implements NodeRegistry {
    private static final Logger log = LoggerFactory.getLogger(BrokerNodeRegistry.class);
    /** Where announcements, goodbyes and room requests go; no hub channel starts with {@code registry.}. */
    static final String NODES_CHANNEL = "registry.nodes";
    /** The longest time between two announcements, whatever the TTL. */
    static final Duration MAX_ANNOUNCE_INTERVAL = Duration.ofSeconds(1);
    /** Room listings one node may have in flight; beyond, {@link #rooms} fails at once. */
    static final int MAX_PENDING_LISTINGS = 64;
    /** Other nodes' room requests queued for an answer; beyond, a request is dropped (the asker reports this node missing). */
    static final int MAX_QUEUED_ANSWERS = 64;

    private final Broker broker;
    private final String nodeId;
    private final Duration ttl;
    private final Duration timeout;
    private final TimeSource time;
    private final NodeCodec codec = new NodeCodec();
    private final NodeTable table;
    private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledThreadPoolExecutor scheduler;
    private final ConcurrentHashMap<Long, RoomGather> listings = new ConcurrentHashMap<>();
    private final AtomicLong requests = new AtomicLong();
    /** Entries of {@link #listings}, counted apart so that the bound holds under concurrent calls. */
    private final AtomicInteger listingsInFlight = new AtomicInteger();
    /** Set while an extra announcement is queued, so that a burst of new nodes causes one. */
    private final AtomicBoolean announceQueued = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong rejected = new AtomicLong();
    /** Room requests waiting for this node's answer on the scheduler thread: at most {@link #MAX_QUEUED_ANSWERS}. */
    private final AtomicInteger queuedAnswers = new AtomicInteger();
    private final AtomicLong answersDropped = new AtomicLong();
    /** Whether the current streak of rejected messages was logged. */
    private final AtomicBoolean rejectLogged = new AtomicBoolean();
    private volatile LocalNode self;

    /**
     * @param broker a broker for the registry alone; the registry starts and closes it
     * @param nodeId this node's id
     * @param ttl how long a silent node stays listed; the announce interval is a third of it
     * @param timeout how long a room listing waits for the nodes' answers
     */
    public BrokerNodeRegistry(Broker broker, String nodeId, Duration ttl, Duration timeout, TimeSource time) {
        this.broker = Objects.requireNonNull(broker, "broker");
        this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.time = Objects.requireNonNull(time, "time");
        if (ttl.toMillis() < 3) {
            throw new IllegalArgumentException("ttl must be at least 3 ms, was " + ttl);
        }
        this.table = new NodeTable(ttl.toNanos());
        this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "switchboard-registry");
            t.setDaemon(true);
            return t;
        });
        scheduler.setRemoveOnCancelPolicy(true);
        scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    @Override
    public CompletionStage<Void> start(LocalNode local) {
        this.self = Objects.requireNonNull(local, "self");
        long every = announceInterval().toNanos();
        scheduler.scheduleAtFixedRate(this::tick, every, every, TimeUnit.NANOSECONDS);
        return broker.start(new Inbound())
                .thenCompose(v -> broker.subscribe(NODES_CHANNEL))
                .thenCompose(v -> broker.subscribe(replyChannel(nodeId)))
                .thenCompose(v -> announce());
    }

    @Override
    public CompletionStage<List<NodeInfo>> nodes() {
        List<NodeInfo> out = new ArrayList<>(table.live(time.nanoTime()));
        LocalNode local = self;
        if (local != null) {
            out.add(local.describe());
        }
        out.sort(Comparator.comparing(NodeInfo::nodeId));
        return CompletableFuture.completedFuture(out);
    }

    @Override
    public CompletionStage<RoomPage> rooms(String after, String prefix, int limit) {
        if (limit < 1 || limit > MAX_ROOMS_PAGE) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("limit must be 1 to " + MAX_ROOMS_PAGE));
        }
        LocalNode local = self;
        if (local == null || closed.get()) {
            return CompletableFuture.failedFuture(new IllegalStateException("the node registry is not running"));
        }
        Set<String> asked = new HashSet<>();
        for (NodeInfo n : table.live(time.nanoTime())) {
            asked.add(n.nodeId());
        }
        RoomGather gather = new RoomGather(asked, limit, local.rooms(after, prefix, limit + 1));
        if (asked.isEmpty()) {
            gather.finish();
            return gather.result;
        }
        if (listingsInFlight.incrementAndGet() > MAX_PENDING_LISTINGS) {
            listingsInFlight.decrementAndGet();
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "too many room listings in flight (" + MAX_PENDING_LISTINGS + ")"));
        }
        long req = requests.incrementAndGet();
        listings.put(req, gather);
        gather.result.whenComplete((p, e) -> {
            listings.remove(req);
            listingsInFlight.decrementAndGet();
        });
        try {
            scheduler.schedule(gather::finish, timeout.toNanos(), TimeUnit.NANOSECONDS);
            broker.publish(NODES_CHANNEL, codec.roomsRequest(nodeId, req, after, prefix, limit + 1))
                    .whenComplete((v, e) -> {
                        if (e != null) {
                            gather.finish(); // nobody will answer a request that never left
                        }
                    });
        } catch (RuntimeException e) {
            gather.finish(); // closed meanwhile: what this node has
        }
        return gather.result;
    }

    @Override
    public void addListener(Listener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public Duration ttl() {
        return ttl;
    }

    /**
     * A third of the TTL, and at most {@link #MAX_ANNOUNCE_INTERVAL}: other nodes' numbers in the admin console are
     * then at most a second old, for one small message per node and second.
     */
    @Override
    public Duration announceInterval() {
        Duration third = ttl.dividedBy(3);
        return third.compareTo(MAX_ANNOUNCE_INTERVAL) > 0 ? MAX_ANNOUNCE_INTERVAL : third;
    }

    /** Messages from other nodes dropped as invalid since start. */
    public long rejected() {
        return rejected.get();
    }

    /** Other nodes' room requests dropped unanswered since start because {@value #MAX_QUEUED_ANSWERS} were queued. */
    public long answersDropped() {
        return answersDropped.get();
    }

    /** Other nodes listed now (this one not counted). */
    public int otherNodes() {
        return table.live(time.nanoTime()).size();
    }

    /** Publishes the goodbye (waiting for the broker to take it, at most the call deadline) and stops. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        scheduler.shutdownNow();
        if (self == null) {
            broker.close(); // never started: nobody knows this node
            return;
        }
        try {
            broker.publish(NODES_CHANNEL, codec.leave(nodeId)).toCompletableFuture()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.debug("goodbye of node {} not sent: {}", nodeId, e.toString());
        }
        listings.values().forEach(RoomGather::finish);
        broker.close();
    }

    @Override
    public String toString() {
        return "BrokerNodeRegistry[" + broker.describe() + ", ttl=" + ttl + "]";
    }

    static String replyChannel(String nodeId) {
        return "registry.reply." + nodeId;
    }

    private void tick() {
        try {
            announce();
            List<NodeInfo> gone = table.expire(time.nanoTime());
            for (NodeInfo n : gone) {
                log.info("node {} ({}) expired from the cluster: not heard from for {}", n.nodeId(), n.address(), ttl);
                tell(n, true);
            }
        } catch (RuntimeException e) {
            log.warn("node registry tick failed", e);
        }
    }

    private CompletionStage<Void> announce() {
        LocalNode local = self;
        if (local == null || closed.get()) {
            return CompletableFuture.completedFuture(null);
        }
        return broker.publish(NODES_CHANNEL, codec.announce(local.describe())).exceptionally(e -> {
            log.debug("announcement of node {} not sent: {}", nodeId, e.toString());
            return null;
        });
    }

    private void announceSoon() {
        if (announceQueued.compareAndSet(false, true)) {
            try {
                scheduler.execute(() -> {
                    announceQueued.set(false);
                    announce();
                });
            } catch (RuntimeException e) {
                announceQueued.set(false); // shut down
            }
        }
    }

    /** Answers a room request on the scheduler thread: reading this node's rooms costs their number, not nothing. */
    private void answer(NodeCodec.Message m) {
        LocalNode local = self;
        if (local == null) {
            return;
        }
        if (queuedAnswers.incrementAndGet() > MAX_QUEUED_ANSWERS) {
            queuedAnswers.decrementAndGet();
            answersDropped.incrementAndGet();
            return;
        }
        try {
            scheduler.execute(() -> {
                queuedAnswers.decrementAndGet();
                try {
                    broker.publish(replyChannel(m.nodeId()), codec.roomsReply(nodeId, m.req(),
                            local.rooms(m.after(), m.prefix(), m.limit())));
                } catch (RuntimeException e) {
                    log.warn("answering node {}'s room request failed", m.nodeId(), e);
                }
            });
        } catch (RuntimeException e) {
            queuedAnswers.decrementAndGet(); // shut down
        }
    }

    private void tell(NodeInfo last, boolean expired) {
        for (Listener l : listeners) {
            try {
                l.nodeLeft(last, expired);
            } catch (RuntimeException e) {
                log.warn("node registry listener failed for node {}", last.nodeId(), e);
            }
        }
    }

    /** Broker callbacks: decode, check, record or answer; never block, never throw. */
    private final class Inbound implements Broker.Listener {
        @Override
        public void onMessage(String channel, byte[] payload) {
            NodeCodec.Message m;
            try {
                m = codec.read(payload);
            } catch (IllegalArgumentException e) {
                if (rejected.incrementAndGet() > 0 && rejectLogged.compareAndSet(false, true)) {
                    log.warn("dropping invalid node registry messages on {} ({}); logged once per streak",
                            channel, e.getMessage());
                }
                return;
            }
            rejectLogged.set(false);
            try {
                handle(m);
            } catch (RuntimeException e) {
                log.warn("node registry message of type {} failed", m.type(), e);
            }
        }

        private void handle(NodeCodec.Message m) {
            switch (m.type()) {
                case "announce" -> {
                    if (m.node().nodeId().equals(nodeId)) {
                        return;
                    }
                    NodeTable.Put put = table.put(m.node(), time.nanoTime());
                    if (put == NodeTable.Put.NEW) {
                        log.info("node {} ({}) joined the cluster", m.node().nodeId(), m.node().address());
                        NodeInfo first = m.node();
                        scheduler.execute(() -> {
                            for (Listener l : listeners) {
                                try {
                                    l.nodeJoined(first);
                                } catch (RuntimeException e) {
                                    log.warn("node registry listener failed for node {}", first.nodeId(), e);
                                }
                            }
                        });
                        announceSoon();
                    } else if (put == NodeTable.Put.FULL) {
                        log.warn("node registry full ({} nodes): ignoring node {}", MAX_NODES, m.node().nodeId());
                    }
                }
                case "leave" -> {
                    NodeInfo last = table.remove(m.nodeId());
                    if (last != null) {
                        log.info("node {} left the cluster", m.nodeId());
                        scheduler.execute(() -> tell(last, false));
                    }
                }
                case "rooms" -> {
                    if (!m.nodeId().equals(nodeId)) {
                        answer(m);
                    }
                }
                default -> {
                    RoomGather g = listings.get(m.req());
                    if (g != null) {
                        g.add(m.nodeId(), m.rooms());
                    }
                }
            }
        }

        @Override
        public void onReconnected() {
            announceSoon();
        }
    }
}
