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
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.LongFunction;
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
 *   <li><b>Rooms and connections by asking the nodes.</b> {@link #rooms} publishes one request; every node
 *       answers on the asker's reply channel with its own first {@code limit + 1} rooms after the cursor, and
 *       {@link RoomPages#merge} builds the exact page from them. {@link #connections} goes the same way: every
 *       node answers with its oldest {@code limit} matching connections (as many as fit in one message) and
 *       {@link ConnectionPages#merge} keeps the cluster's oldest. A listing waits for the nodes listed when it
 *       was asked, and for this node's own answer, up to the call deadline; a node that does not answer in time
 *       is named in {@link RoomPage#missing()} / {@link ConnectionPage#missing()}. Each node reads only its own
 *       in-memory state, so the answers are the nodes' own at the moment they answered, and nothing is kept in
 *       a store that could go stale.</li>
 *   <li><b>Bounded.</b> At most {@link NodeRegistry#MAX_NODES} nodes, {@value #MAX_PENDING_LISTINGS} listings
 *       (rooms and connections together) in flight (more fail fast), {@value #MAX_QUEUED_ANSWERS} other nodes'
 *       requests waiting for or being given an answer (more are dropped and counted, {@link #answersDropped()}:
 *       the asker names this node missing), messages of at most {@link NodeCodec#MAX_PAYLOAD_BYTES};
 *       invalid messages are dropped, counted ({@link #rejected()}) and logged once per streak.</li>
 *   <li><b>Threads.</b> One scheduler thread of its own announces, sweeps, answers requests and calls
 *       listeners (a connection listing reads each connection's rooms on its own event loop, and the answer
 *       leaves from there); broker callbacks only decode, record and hand over, never block.</li>
 * </ul>
 */
public final class BrokerNodeRegistry implements NodeRegistry {
    private static final Logger log = LoggerFactory.getLogger(BrokerNodeRegistry.class);
    /** Where announcements, goodbyes and listing requests go; no hub channel starts with {@code registry.}. */
    static final String NODES_CHANNEL = "registry.nodes";
    /** The longest time between two announcements, whatever the TTL. */
    static final Duration MAX_ANNOUNCE_INTERVAL = Duration.ofSeconds(1);
    /** Listings (rooms and connections) one node may have in flight; beyond, {@link #rooms} and {@link #connections} fail at once. */
    static final int MAX_PENDING_LISTINGS = 64;
    /** Other nodes' listing requests queued for or being given an answer; beyond, a request is dropped (the asker reports this node missing). */
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
    /** The scheduler's thread once it started: {@link #close()} does not wait for itself on it. */
    private volatile Thread schedulerThread;
    private final ConcurrentHashMap<Long, Gather<List<RoomCount>, RoomPage>> roomListings = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Gather<ConnectionSlice, ConnectionPage>> connectionListings =
            new ConcurrentHashMap<>();
    private final AtomicLong requests = new AtomicLong();
    /** Entries of both listing maps, counted apart so that the bound holds under concurrent calls. */
    private final AtomicInteger listingsInFlight = new AtomicInteger();
    /** Set while an extra announcement is queued, so that a burst of new nodes causes one. */
    private final AtomicBoolean announceQueued = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong rejected = new AtomicLong();
    /** Listing requests waiting for this node's answer, or for the rooms it reads to answer: at most {@link #MAX_QUEUED_ANSWERS}. */
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
            schedulerThread = t;
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
        // Each node is asked for one more than the page, so that the merge knows whether more remain.
        return ask("room", roomListings, (pages, missing) -> RoomPages.merge(pages, limit, missing),
                local -> CompletableFuture.completedFuture(local.rooms(after, prefix, limit + 1)),
                req -> codec.roomsRequest(nodeId, req, after, prefix, limit + 1));
    }

    @Override
    public CompletionStage<ConnectionPage> connections(String user, String prefix, int limit) {
        if (limit < 1 || limit > MAX_CONNECTIONS_PAGE) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "limit must be 1 to " + MAX_CONNECTIONS_PAGE));
        }
        return ask("connection", connectionListings, (slices, missing) -> ConnectionPages.merge(slices, limit, missing),
                local -> local.connections(user, prefix, limit),
                req -> codec.connectionsRequest(nodeId, req, user, prefix, limit));
    }

    /**
     * One cluster-wide listing: asks every live node with one request on the nodes channel and gathers their
     * answers and this node's own until all are in or the deadline passes.
     *
     * @param what what is listed, for the refusal beyond {@value #MAX_PENDING_LISTINGS} in flight
     * @param listings where the answers of this kind find their gather
     * @param own this node's answer
     * @param request the request, given its id
     */
    private <T, R> CompletionStage<R> ask(String what, ConcurrentHashMap<Long, Gather<T, R>> listings,
                                          BiFunction<List<T>, List<String>, R> merge,
                                          Function<LocalNode, CompletionStage<T>> own, LongFunction<byte[]> request) {
        LocalNode local = self;
        if (local == null || closed.get()) {
            return CompletableFuture.failedFuture(new IllegalStateException("the node registry is not running"));
        }
        if (listingsInFlight.incrementAndGet() > MAX_PENDING_LISTINGS) {
            listingsInFlight.decrementAndGet();
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "too many " + what + " listings in flight (" + MAX_PENDING_LISTINGS + ")"));
        }
        Set<String> asked = new HashSet<>();
        for (NodeInfo n : table.live(time.nanoTime())) {
            asked.add(n.nodeId());
        }
        boolean alone = asked.isEmpty();
        asked.add(nodeId);
        Gather<T, R> gather = new Gather<>(asked, merge);
        long req = requests.incrementAndGet();
        listings.put(req, gather);
        ScheduledFuture<?> deadline;
        try {
            deadline = scheduler.schedule(gather::finish, timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) {
            deadline = null; // closed meanwhile: completed below with nothing
        }
        ScheduledFuture<?> due = deadline;
        gather.result.whenComplete((p, e) -> {
            listings.remove(req);
            listingsInFlight.decrementAndGet();
            if (due != null) {
                due.cancel(false); // removed from the scheduler's queue at once
            }
        });
        if (due == null) {
            gather.finish();
            return gather.result;
        }
        try {
            own.apply(local).whenComplete((answer, e) -> {
                if (e == null) {
                    gather.add(nodeId, answer);
                } else {
                    log.warn("listing this node's {}s failed", what, e); // named missing at the deadline
                }
            });
        } catch (RuntimeException e) {
            log.warn("listing this node's {}s failed", what, e);
        }
        if (!alone) {
            try {
                broker.publish(NODES_CHANNEL, request.apply(req)).whenComplete((v, e) -> {
                    if (e != null) {
                        gather.finish(); // nobody will answer a request that never left
                    }
                });
            } catch (RuntimeException e) {
                gather.finish(); // closed meanwhile: what has arrived
            }
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

    /** Other nodes' listing requests dropped unanswered since start because {@value #MAX_QUEUED_ANSWERS} were queued. */
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
        awaitScheduler();
        try {
            broker.publish(NODES_CHANNEL, codec.leave(nodeId)).toCompletableFuture()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.debug("goodbye of node {} not sent: {}", nodeId, e.toString());
        }
        roomListings.values().forEach(Gather::finish);
        connectionListings.values().forEach(Gather::finish);
        broker.close();
    }

    @Override
    public String toString() {
        return "BrokerNodeRegistry[" + broker.describe() + ", ttl=" + ttl + "]";
    }

    static String replyChannel(String nodeId) {
        return "registry.reply." + nodeId;
    }

    /**
     * Waits (at most the call deadline) for the scheduler's running task: an announcement already past its
     * closed check must go out before the goodbye, since after it, it would list this node on the others
     * again until it expired.
     */
    private void awaitScheduler() {
        if (Thread.currentThread() == schedulerThread) {
            return;
        }
        try {
            scheduler.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the goodbye is still sent
        }
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

    /**
     * Answers another node's request on the scheduler thread: reading this node's rooms or connections costs their
     * number, not nothing. A request counts against {@value #MAX_QUEUED_ANSWERS} until its answer is out, also
     * while a connection listing waits for the rooms read on the connections' own threads.
     */
    private void answer(NodeCodec.Message m, Function<LocalNode, CompletionStage<byte[]>> reply) {
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
                CompletionStage<byte[]> answer;
                try {
                    answer = reply.apply(local);
                } catch (RuntimeException e) {
                    answer = CompletableFuture.failedFuture(e);
                }
                answer.whenComplete((bytes, e) -> {
                    queuedAnswers.decrementAndGet();
                    if (e != null) {
                        log.warn("answering node {}'s {} request failed", m.nodeId(), m.type(), e);
                        return;
                    }
                    try {
                        broker.publish(replyChannel(m.nodeId()), bytes);
                    } catch (RuntimeException x) {
                        log.debug("answer to node {} not sent: {}", m.nodeId(), x.toString()); // closed meanwhile
                    }
                });
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
            if (closed.get()) {
                return; // stopping: its scheduler takes no more work, and nobody will ask it about other nodes
            }
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
                if (!closed.get()) { // else a message that raced close() into the stopped scheduler
                    log.warn("node registry message of type {} failed", m.type(), e);
                }
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
                        answer(m, local -> CompletableFuture.completedFuture(codec.roomsReply(nodeId, m.req(),
                                local.rooms(m.after(), m.prefix(), m.limit()))));
                    }
                }
                case "conns" -> {
                    if (!m.nodeId().equals(nodeId)) {
                        answer(m, local -> local.connections(m.user(), m.prefix(), m.limit())
                                .thenApply(slice -> codec.connectionsReply(nodeId, m.req(), slice)));
                    }
                }
                case "rooms_reply" -> {
                    Gather<List<RoomCount>, RoomPage> g = roomListings.get(m.req());
                    if (g != null) {
                        g.add(m.nodeId(), m.rooms());
                    }
                }
                default -> {
                    Gather<ConnectionSlice, ConnectionPage> g = connectionListings.get(m.req());
                    if (g != null) {
                        g.add(m.nodeId(), m.conns());
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
