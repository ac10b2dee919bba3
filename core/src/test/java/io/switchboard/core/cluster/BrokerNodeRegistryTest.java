package io.switchboard.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.core.TimeSource;
import io.switchboard.core.broker.Broker;
import io.switchboard.core.broker.MemoryBroker;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Nodes of one process over a memory bus: they list each other, a node that falls silent is dropped once the
 * (manual) clock passes its TTL, one that closes is dropped at once, rooms are summed across nodes and paged, and
 * garbage from a peer is dropped and counted.
 */
class BrokerNodeRegistryTest {
    private static final Duration TTL = Duration.ofMillis(300);
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final MemoryBroker.Bus bus = new MemoryBroker.Bus();
    private final ManualClock clock = new ManualClock();
    private final TimeSource time = new TimeSource() {
        @Override
        public long nanoTime() {
            return clock.nanoTime();
        }

        @Override
        public long currentTimeMillis() {
            return clock.currentTimeMillis();
        }
    };
    private final List<BrokerNodeRegistry> registries = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        registries.forEach(BrokerNodeRegistry::close);
    }

    /** A node with the given rooms (name, members), on a broker whose publishes {@code cut} can stop. */
    private BrokerNodeRegistry node(String id, CuttableBroker broker, List<RoomCount> rooms) throws Exception {
        BrokerNodeRegistry r = new BrokerNodeRegistry(broker, id, TTL, TIMEOUT, time);
        registries.add(r);
        Await.get(r.start(new Fixed(id, rooms)), TIMEOUT);
        return r;
    }

    private BrokerNodeRegistry node(String id, List<RoomCount> rooms) throws Exception {
        return node(id, new CuttableBroker(bus.broker()), rooms);
    }

    /** A node with the given connections, on a broker whose publishes {@code cut} can stop. */
    private BrokerNodeRegistry nodeWith(String id, CuttableBroker broker, ConnectionInfo... conns) throws Exception {
        BrokerNodeRegistry r = new BrokerNodeRegistry(broker, id, TTL, TIMEOUT, time);
        registries.add(r);
        Await.get(r.start(new Fixed(id, List.of(), List.of(conns))), TIMEOUT);
        return r;
    }

    private static ConnectionInfo conn(String node, String user, long connectedAt, String... rooms) {
        return new ConnectionInfo("c-" + node + "-" + connectedAt, user, node, "10.0.0.1:" + connectedAt,
                List.of(rooms), rooms.length, connectedAt, connectedAt);
    }

    private static List<String> connIds(NodeRegistry.ConnectionPage page) {
        return page.connections().stream().map(ConnectionInfo::connId).toList();
    }

    /** The ids listed; {@code nodes()} answers from memory, at once. */
    private static List<String> ids(BrokerNodeRegistry r) {
        return r.nodes().toCompletableFuture().join().stream().map(NodeInfo::nodeId).toList();
    }

    @Test
    void everyNodeListsEveryNodeWithItsAnnouncedState() throws Exception {
        BrokerNodeRegistry a = node("a", List.of());
        BrokerNodeRegistry b = node("b", List.of());
        Await.until("a lists b", () -> ids(a).equals(List.of("a", "b")));
        // b learned of a from a's answer to b's first announcement, not a whole interval later.
        Await.until("b lists a", () -> ids(b).equals(List.of("a", "b")));
        NodeInfo seen = Await.get(a.nodes(), TIMEOUT).get(1);
        assertThat(seen.version()).isEqualTo("1.2.3");
        assertThat(seen.address()).isEqualTo("b.example:8080");
        assertThat(seen.connections()).isEqualTo(7);
        assertThat(seen.breakers()).containsExactly(new NodeInfo.Breaker("broker redis", "CLOSED", 1));
    }

    @Test
    void aNodeThatFallsSilentIsDroppedAsExpiredOnceItsTtlPasses() throws Exception {
        BrokerNodeRegistry a = node("a", List.of());
        BlockingQueue<String> left = new LinkedBlockingQueue<>();
        a.addListener(new NodeRegistry.Listener() {
            @Override
            public void nodeJoined(NodeInfo first) {
                left.add(first.nodeId() + " joined");
            }

            @Override
            public void nodeLeft(NodeInfo last, boolean expired) {
                left.add(last.nodeId() + (expired ? " expired" : " said goodbye"));
            }
        });
        CuttableBroker doomed = new CuttableBroker(bus.broker());
        node("b", doomed, List.of());
        Await.until("a lists b", () -> ids(a).contains("b"));
        assertThat(left.poll(5, TimeUnit.SECONDS)).isEqualTo("b joined");
        doomed.cut = true;
        clock.advance(TTL.dividedBy(2));
        assertThat(left.poll(TTL.toMillis(), TimeUnit.MILLISECONDS)).as("still within its ttl").isNull();
        assertThat(ids(a)).contains("b");
        clock.advance(TTL);
        assertThat(ids(a)).as("an expired node is never listed").containsExactly("a");
        assertThat(left.poll(5, TimeUnit.SECONDS)).isEqualTo("b expired");
        doomed.cut = false;
        assertThat(left.poll(5, TimeUnit.SECONDS)).as("back after the partition healed").isEqualTo("b joined");
        assertThat(ids(a)).contains("b");
    }

    @Test
    void aNodeThatClosesIsDroppedAtOnceAsGone() throws Exception {
        BrokerNodeRegistry a = node("a", List.of());
        BlockingQueue<String> left = new LinkedBlockingQueue<>();
        a.addListener((last, expired) -> left.add(last.nodeId() + (expired ? " expired" : " said goodbye")));
        BrokerNodeRegistry b = node("b", List.of());
        Await.until("a lists b", () -> ids(a).contains("b"));
        b.close();
        assertThat(left.poll(5, TimeUnit.SECONDS)).isEqualTo("b said goodbye");
        assertThat(ids(a)).containsExactly("a");
    }

    @Test
    void roomsAreSummedOverTheNodesPagedByNameAndFilteredByPrefix() throws Exception {
        BrokerNodeRegistry a = node("a", List.of(new RoomCount("alpha", 2), new RoomCount("beta", 1),
                new RoomCount("delta", 4)));
        BrokerNodeRegistry b = node("b", List.of(new RoomCount("beta", 3), new RoomCount("gamma", 5)));
        Await.until("a lists b", () -> ids(a).contains("b"));
        NodeRegistry.RoomPage first = Await.get(a.rooms(null, null, 2), TIMEOUT);
        assertThat(first.rooms()).containsExactly(new RoomCount("alpha", 2), new RoomCount("beta", 4));
        assertThat(first.more()).isTrue();
        assertThat(first.missing()).isEmpty();
        NodeRegistry.RoomPage second = Await.get(a.rooms("beta", null, 2), TIMEOUT);
        assertThat(second.rooms()).containsExactly(new RoomCount("delta", 4), new RoomCount("gamma", 5));
        assertThat(second.more()).isFalse();
        assertThat(Await.get(b.rooms(null, null, 10), TIMEOUT).rooms()).hasSize(4);
        assertThat(Await.get(b.rooms(null, "be", 10), TIMEOUT).rooms()).containsExactly(new RoomCount("beta", 4));
    }

    @Test
    void aNodeThatDoesNotAnswerIsNamedAsMissingAfterTheDeadline() throws Exception {
        BrokerNodeRegistry a = node("a", List.of(new RoomCount("alpha", 2)));
        CuttableBroker mute = new CuttableBroker(bus.broker());
        node("b", mute, List.of(new RoomCount("beta", 3)));
        Await.until("a lists b", () -> ids(a).contains("b"));
        mute.cut = true;
        NodeRegistry.RoomPage page = Await.get(a.rooms(null, null, 10), TIMEOUT.multipliedBy(2));
        assertThat(page.rooms()).containsExactly(new RoomCount("alpha", 2));
        assertThat(page.missing()).containsExactly("b");
    }

    @Test
    void connectionsOfEveryNodeAreListedOldestFirstWithTheirNodeAndCounted() throws Exception {
        BrokerNodeRegistry a = nodeWith("a", new CuttableBroker(bus.broker()), conn("a", "u1", 100, "lobby"),
                conn("a", "u2", 300));
        BrokerNodeRegistry b = nodeWith("b", new CuttableBroker(bus.broker()), conn("b", "u1", 200, "dev", "lobby"),
                conn("b", "bob", 400));
        Await.until("a lists b", () -> ids(a).contains("b"));
        NodeRegistry.ConnectionPage user = Await.get(a.connections("u1", null, 10), TIMEOUT);
        assertThat(connIds(user)).containsExactly("c-a-100", "c-b-200");
        assertThat(user.connections().get(1)).isEqualTo(conn("b", "u1", 200, "dev", "lobby"));
        assertThat(user.total()).isEqualTo(2);
        assertThat(user.missing()).isEmpty();
        NodeRegistry.ConnectionPage prefix = Await.get(b.connections(null, "u", 2), TIMEOUT);
        assertThat(connIds(prefix)).as("the oldest two").containsExactly("c-a-100", "c-b-200");
        assertThat(prefix.total()).isEqualTo(3);
        assertThat(Await.get(a.connections(null, null, 10), TIMEOUT).total()).isEqualTo(4);
        assertThat(a.connections(null, null, NodeRegistry.MAX_CONNECTIONS_PAGE + 1).toCompletableFuture())
                .isCompletedExceptionally();
    }

    @Test
    void aNodeThatDoesNotAnswerAConnectionListingIsNamedAsMissing() throws Exception {
        BrokerNodeRegistry a = nodeWith("a", new CuttableBroker(bus.broker()), conn("a", "u1", 100));
        CuttableBroker mute = new CuttableBroker(bus.broker());
        nodeWith("b", mute, conn("b", "u1", 50));
        Await.until("a lists b", () -> ids(a).contains("b"));
        mute.cut = true;
        NodeRegistry.ConnectionPage page = Await.get(a.connections("u1", null, 10), TIMEOUT.multipliedBy(2));
        assertThat(connIds(page)).containsExactly("c-a-100");
        assertThat(page.total()).isEqualTo(1);
        assertThat(page.missing()).containsExactly("b");
    }

    @Test
    void garbageFromAPeerIsDroppedAndCounted() throws Exception {
        BrokerNodeRegistry a = node("a", List.of());
        MemoryBroker peer = bus.broker();
        Await.get(peer.start(new Broker.Listener() {
            @Override
            public void onMessage(String channel, byte[] payload) {
            }

            @Override
            public void onReconnected() {
            }
        }), TIMEOUT);
        for (String bad : new String[] {"not json", "[]", "{\"t\":\"announce\",\"node\":{\"nodeId\":\"bad id!\"}}",
                "{\"t\":\"rooms\",\"from\":\"x\",\"req\":1,\"after\":null,\"limit\":100000}",
                "{\"t\":\"leave\",\"nodeId\":7}", "{\"t\":\"what\"}",
                "{\"t\":\"conns\",\"from\":\"x\",\"req\":1,\"user\":\"bad id!\",\"limit\":10}",
                "{\"t\":\"conns\",\"from\":\"x\",\"req\":1,\"user\":null,\"limit\":501}"}) {
            peer.publish(BrokerNodeRegistry.NODES_CHANNEL, bad.getBytes(StandardCharsets.UTF_8));
        }
        peer.publish(BrokerNodeRegistry.NODES_CHANNEL, new byte[NodeCodec.MAX_PAYLOAD_BYTES + 1]);
        Await.until("all nine rejected", () -> a.rejected() == 9);
        assertThat(ids(a)).containsExactly("a");
        peer.close();
    }

    @Test
    void roomListingsBeyondTheBoundInFlightFailAtOnce() throws Exception {
        BrokerNodeRegistry a = node("a", List.of(new RoomCount("alpha", 1)));
        CuttableBroker mute = new CuttableBroker(bus.broker());
        node("b", mute, List.of());
        Await.until("a lists b", () -> ids(a).contains("b"));
        mute.cut = true;
        List<java.util.concurrent.CompletableFuture<NodeRegistry.RoomPage>> waiting = new ArrayList<>();
        for (int i = 0; i < BrokerNodeRegistry.MAX_PENDING_LISTINGS; i++) {
            waiting.add(a.rooms(null, null, 10).toCompletableFuture());
        }
        assertThat(waiting).noneMatch(java.util.concurrent.CompletableFuture::isDone);
        assertThat(a.rooms(null, null, 10).toCompletableFuture())
                .failsWithin(Duration.ofMillis(100))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withMessageContaining("too many room listings in flight (64)");
        // The deadline completes the waiting ones, naming the mute node, and frees their places.
        assertThat(Await.get(waiting.get(0), TIMEOUT.multipliedBy(2)).missing()).containsExactly("b");
        Await.until("places freed", () -> waiting.stream().allMatch(java.util.concurrent.CompletableFuture::isDone));
        Await.get(a.rooms(null, null, 10), TIMEOUT.multipliedBy(2));
    }

    @Test
    void otherNodesRequestsBeyondTheQueueBoundAreDroppedAndCounted() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        BrokerNodeRegistry a = new BrokerNodeRegistry(new CuttableBroker(bus.broker()), "a", TTL, TIMEOUT, time);
        registries.add(a);
        Await.get(a.start(new NodeRegistry.LocalNode() {
            @Override
            public NodeInfo describe() {
                return new Fixed("a", List.of()).describe();
            }

            @Override
            public List<RoomCount> rooms(String after, String prefix, int limit) {
                try {
                    release.await(); // holds the registry's thread, so that requests queue up behind it
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return List.of();
            }

            @Override
            public CompletionStage<ConnectionSlice> connections(String user, String prefix, int limit) {
                return CompletableFuture.completedFuture(new ConnectionSlice(List.of(), 0, false));
            }
        }), TIMEOUT);
        MemoryBroker peer = bus.broker();
        Await.get(peer.start(new Broker.Listener() {
            @Override
            public void onMessage(String channel, byte[] payload) {
            }

            @Override
            public void onReconnected() {
            }
        }), TIMEOUT);
        int sent = BrokerNodeRegistry.MAX_QUEUED_ANSWERS + 11;
        for (int i = 0; i < sent; i++) {
            peer.publish(BrokerNodeRegistry.NODES_CHANNEL, ("{\"t\":\"rooms\",\"from\":\"peer\",\"req\":" + i
                    + ",\"after\":null,\"limit\":10}").getBytes(StandardCharsets.UTF_8));
        }
        // One is being answered (blocked), at most MAX_QUEUED_ANSWERS wait, the rest are dropped.
        Await.until("the overflow dropped", () -> a.answersDropped() >= sent - 1 - BrokerNodeRegistry.MAX_QUEUED_ANSWERS);
        assertThat(a.answersDropped()).isLessThanOrEqualTo(sent - BrokerNodeRegistry.MAX_QUEUED_ANSWERS);
        assertThat(a.rejected()).isZero();
        release.countDown();
        peer.close();
    }

    /** A node's fixed description, rooms and connections. */
    private record Fixed(String id, List<RoomCount> all, List<ConnectionInfo> conns) implements NodeRegistry.LocalNode {
        Fixed(String id, List<RoomCount> all) {
            this(id, all, List.of());
        }

        @Override
        public CompletionStage<ConnectionSlice> connections(String user, String prefix, int limit) {
            List<ConnectionInfo> matching = conns.stream().filter(c -> user == null || c.userId().equals(user))
                    .filter(c -> prefix == null || c.userId().startsWith(prefix)).sorted(ConnectionPages.ORDER).toList();
            return CompletableFuture.completedFuture(new ConnectionSlice(
                    matching.subList(0, Math.min(limit, matching.size())), matching.size(), false));
        }

        @Override
        public NodeInfo describe() {
            return new NodeInfo(id, "1.2.3", id + ".example:8080", 1000, 2000, false, 7, 9, all.size(), 3, 4, 0,
                    1.5, 2.5, new NodeInfo.BrokerState("redis", true),
                    List.of(new NodeInfo.Breaker("broker redis", "CLOSED", 1)));
        }

        @Override
        public List<RoomCount> rooms(String after, String prefix, int limit) {
            return RoomPages.slice(all, after, prefix, limit);
        }
    }

    /** A broker whose publishes vanish once {@link #cut}: a node partitioned away, or killed without a goodbye. */
    private static final class CuttableBroker implements Broker {
        private final Broker inner;
        volatile boolean cut;

        CuttableBroker(Broker inner) {
            this.inner = inner;
        }

        @Override
        public CompletionStage<Void> start(Listener listener) {
            return inner.start(listener);
        }

        @Override
        public CompletionStage<Void> subscribe(String channel) {
            return inner.subscribe(channel);
        }

        @Override
        public CompletionStage<Void> unsubscribe(String channel) {
            return inner.unsubscribe(channel);
        }

        @Override
        public CompletionStage<Void> publish(String channel, byte[] payload) {
            return cut ? java.util.concurrent.CompletableFuture.completedFuture(null) : inner.publish(channel, payload);
        }

        @Override
        public boolean isConnected() {
            return !cut;
        }

        @Override
        public String describe() {
            return "cuttable";
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
