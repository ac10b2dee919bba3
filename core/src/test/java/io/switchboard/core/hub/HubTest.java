package io.switchboard.core.hub;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.DisconnectReason;
import io.switchboard.core.HubException;
import io.switchboard.core.broker.Broker;
import io.switchboard.core.broker.MemoryBroker;
import io.switchboard.core.command.CommandHandler;
import io.switchboard.core.config.CoreConfig;
import io.switchboard.core.config.History;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.core.hub.Fakes.CountingFrames;
import io.switchboard.core.hub.Fakes.ManualExecutor;
import io.switchboard.core.hub.Fakes.ManualTime;
import io.switchboard.core.hub.Fakes.RecordingSession;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.core.presence.MemoryPresenceStore;
import io.switchboard.core.presence.PresenceStore;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.Command.Since;
import io.switchboard.protocol.ErrorCode;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ServerMessage;
import io.switchboard.testkit.ManualScheduler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The hub's routing, ordering and recovery rules with the interleavings chosen by the test. */
class HubTest {
    private final ManualTime time = new ManualTime();
    private final CountingFrames frames = new CountingFrames();
    private final ManualExecutor loop1 = new ManualExecutor();
    private final ManualExecutor loop2 = new ManualExecutor();
    private Hub hub = newHub(CoreConfig.defaults());
    private CommandHandler commands = new CommandHandler(hub);

    private Hub newHub(CoreConfig config) {
        return new Hub(config, new MemoryHistoryStore(config.history().size(), config.history().ttl(), time), frames,
                new JsonCodec(), time, "n1", "test");
    }

    private void reconfigure(CoreConfig config) {
        hub = newHub(config);
        commands = new CommandHandler(hub);
    }

    private record Peer(Connection c, RecordingSession s, ManualExecutor loop) {
    }

    private Peer connect(String user, ManualExecutor loop) {
        RecordingSession s = new RecordingSession();
        Connection c = hub.register(s, user, hub.shard(loop));
        return new Peer(c, s, loop);
    }

    private void command(Peer p, String json) {
        byte[] b = json.getBytes(UTF_8);
        commands.handleText(p.c(), b, 0, b.length);
    }

    /** Joins through the callback, which the in-memory stores run before {@code join} returns. */
    private JoinResult join(Connection c, String room, Since since) throws HubException {
        JoinResult[] result = new JoinResult[1];
        HubException[] error = new HubException[1];
        hub.join(c, room, since, new JoinCallback() {
            @Override
            public void joined(JoinResult r) {
                result[0] = r;
            }

            @Override
            public void failed(HubException e) {
                error[0] = e;
            }
        });
        if (error[0] != null) {
            throw error[0];
        }
        assertThat(result[0]).as("join answered before returning").isNotNull();
        return result[0];
    }

    private long publish(Connection c, String room, String content, JsonNode data, boolean echo)
            throws HubException {
        var stage = hub.publish(c, room, content, data, echo).toCompletableFuture();
        assertThat(stage).as("published before returning").isDone();
        return stage.join();
    }

    private static <T> T now(java.util.concurrent.CompletionStage<T> stage) {
        return stage.toCompletableFuture().join();
    }

    private void runLoops() {
        while (!loop1.tasks.isEmpty() || !loop2.tasks.isEmpty()) {
            loop1.runAll();
            loop2.runAll();
        }
    }

    private static List<Long> offsets(RecordingSession s) {
        return s.ofType("room_message").stream().map(m -> m.path("offset").asLong()).toList();
    }

    @AfterEach
    void everyFrameIsReleased() {
        runLoops();
        assertThat(frames.live.get()).as("frames still referenced").isZero();
    }

    @Test
    void aPublishQueuesOneTaskPerShardNotPerMember() throws Exception {
        Peer sender = connect("s", loop1);
        Peer[] members = new Peer[10];
        for (int i = 0; i < members.length; i++) {
            members[i] = connect("u" + i, i % 2 == 0 ? loop1 : loop2);
            join(members[i].c(), "r", null);
        }
        join(sender.c(), "r", null);
        runLoops();

        publish(sender.c(), "r", "hello", null, false);
        assertThat(loop1.tasks).hasSize(1);
        assertThat(loop2.tasks).hasSize(1);
        runLoops();
        for (Peer m : members) {
            assertThat(offsets(m.s())).containsExactly(1L);
            assertThat(m.s().unflushed).isEmpty();
        }
        assertThat(offsets(sender.s())).isEmpty();
    }

    @Test
    void aSessionThatThrowsLosesOnlyItsOwnConnection() throws Exception {
        Peer sender = connect("s", loop1);
        Peer a = connect("a", loop1);
        Peer broken = connect("broken", loop1);
        Peer flushBroken = connect("flush-broken", loop1);
        Peer b = connect("b", loop1);
        for (Peer p : new Peer[] {a, broken, flushBroken, b, sender}) {
            join(p.c(), "r", null);
        }
        runLoops();
        broken.s().throwOnWrite = new IllegalStateException("write bug");
        flushBroken.s().throwOnFlush = new IllegalStateException("flush bug");

        publish(sender.c(), "r", "one", null, false);
        runLoops();
        assertThat(offsets(a.s())).containsExactly(1L);
        assertThat(offsets(b.s())).containsExactly(1L);
        assertThat(broken.s().closedWith).isEqualTo(CloseCode.INTERNAL_ERROR);
        assertThat(flushBroken.s().closedWith).isEqualTo(CloseCode.INTERNAL_ERROR);

        // The shard's flush batch was cleared despite the throw: later deliveries still go out.
        publish(sender.c(), "r", "two", null, false);
        runLoops();
        assertThat(offsets(a.s())).containsExactly(1L, 2L);
        assertThat(offsets(b.s())).containsExactly(1L, 2L);
    }

    @Test
    void aBurstToOneSocketIsFlushedOnce() throws Exception {
        Peer a = connect("a", loop1);
        Peer b = connect("b", loop1);
        join(a.c(), "r", null);
        join(b.c(), "r", null);
        runLoops();
        int before = b.s().flushes;
        for (int i = 0; i < 50; i++) {
            publish(a.c(), "r", "m" + i, null, false);
        }
        runLoops();
        assertThat(offsets(b.s())).hasSize(50);
        assertThat(b.s().flushes - before).isEqualTo(1);
    }

    @Test
    void aFlushReportsHowLongTheFirstFrameOfItsBatchWaited() throws Exception {
        List<Long> waits = new ArrayList<>();
        HubMetrics metrics = (HubMetrics) Proxy.newProxyInstance(HubMetrics.class.getClassLoader(),
                new Class<?>[] {HubMetrics.class}, (proxy, method, args) -> {
                    if (method.getName().equals("fanoutFlushed")) {
                        waits.add((Long) args[0]);
                    }
                    return null;
                });
        CoreConfig config = CoreConfig.defaults();
        hub = new Hub(config, new MemoryHistoryStore(config.history().size(), config.history().ttl(), time), frames,
                new JsonCodec(), time, "n1", "test", metrics);
        Peer sender = connect("s", loop1);
        Peer a = connect("a", loop1);
        Peer b = connect("b", loop1);
        for (Peer p : new Peer[] {sender, a, b}) {
            join(p.c(), "r", null);
        }
        runLoops();
        waits.clear();

        publish(sender.c(), "r", "one", null, false);
        publish(sender.c(), "r", "two", null, false);
        loop1.tasks.poll().run(); // fans out "one": the batch starts, its flush is queued behind "two"
        time.advanceMillis(20);
        loop1.tasks.poll().run(); // fans out "two" into the same batch
        time.advanceMillis(10);
        loop1.runAll();
        assertThat(offsets(a.s())).containsExactly(1L, 2L);
        assertThat(offsets(b.s())).containsExactly(1L, 2L);
        assertThat(waits).containsExactly(Duration.ofMillis(30).toNanos());

        publish(sender.c(), "r", "three", null, false);
        loop1.runAll();
        assertThat(waits).containsExactly(Duration.ofMillis(30).toNanos(), 0L);
    }

    @Test
    void aFlushIntervalGathersWhatArrivesWithinItIntoOneWritePerSocket() throws Exception {
        ManualScheduler loop = withFlushInterval(Duration.ofMillis(20));
        RecordingSession ss = new RecordingSession();
        Connection sender = hub.register(ss, "s", hub.shard(loop1));
        RecordingSession bs = new RecordingSession();
        Connection b = hub.register(bs, "b", hub.shard(loop));
        join(sender, "r", null);
        join(b, "r", null);
        runLoops();
        loop.runDue();
        time.advanceMillis(100);
        int before = bs.flushes;

        publish(sender, "r", "one", null, false);
        loop.runDue();
        assertThat(bs.flushes - before).as("the first batch after a quiet spell goes at once").isEqualTo(1);
        assertThat(offsets(bs)).containsExactly(1L);
        time.advanceMillis(5);
        publish(sender, "r", "two", null, false);
        time.advanceMillis(5);
        publish(sender, "r", "three", null, false);
        loop.runDue();
        assertThat(offsets(bs)).as("written, not yet flushed").containsExactly(1L);
        assertThat(bs.flushes - before).isEqualTo(1);
        time.advanceMillis(10); // 20 ms since the first flush ended
        loop.runDue();
        assertThat(bs.flushes - before).as("two and three in one flush").isEqualTo(2);
        assertThat(offsets(bs)).containsExactly(1L, 2L, 3L);
        runLoops();
    }

    /**
     * The interval counts per connection, from its own last flush: a connection written after a quiet
     * spell of its own goes out at once even while another, flushed recently, waits for its interval;
     * and each then goes out when its own interval is over.
     */
    @Test
    void aFlushIntervalCountsFromEachConnectionsOwnLastFlush() throws Exception {
        ManualScheduler loop = withFlushInterval(Duration.ofMillis(20));
        Connection sender = hub.register(new RecordingSession(), "s", hub.shard(loop1));
        RecordingSession bs = new RecordingSession();
        Connection b = hub.register(bs, "b", hub.shard(loop));
        RecordingSession cs = new RecordingSession();
        Connection c = hub.register(cs, "c", hub.shard(loop));
        join(sender, "r", null);
        join(sender, "q", null);
        join(b, "r", null);
        join(c, "r", null);
        join(c, "q", null);
        runLoops();
        loop.runDue();
        time.advanceMillis(100);
        int bBefore = bs.flushes;
        int cBefore = cs.flushes;

        publish(sender, "q", "q1", null, false); // t = 0: only c, flushed at once
        loop.runDue();
        assertThat(cs.flushes - cBefore).isEqualTo(1);
        time.advanceMillis(12);
        publish(sender, "r", "r1", null, false); // t = 12
        loop.runDue();
        assertThat(bs.flushes - bBefore).as("b was not flushed for long: at once").isEqualTo(1);
        assertThat(cs.flushes - cBefore).as("c was flushed 12 ms ago: it waits").isEqualTo(1);
        time.advanceMillis(3);
        publish(sender, "r", "r2", null, false); // t = 15
        loop.runDue();
        time.advanceMillis(5); // t = 20: c's interval is over, b's (from 12) is not
        loop.runDue();
        assertThat(contents(cs)).containsExactly("q1", "r1", "r2");
        assertThat(cs.flushes - cBefore).as("r1 and r2 in one flush").isEqualTo(2);
        assertThat(contents(bs)).as("r2 written, not flushed").containsExactly("r1");
        assertThat(bs.flushes - bBefore).isEqualTo(1);
        time.advanceMillis(12); // t = 32
        loop.runDue();
        assertThat(bs.flushes - bBefore).isEqualTo(2);
        assertThat(contents(bs)).containsExactly("r1", "r2");
        runLoops();
    }

    /**
     * Adaptive flushing, the default: while flushes take a large share of the loop (here each costs 0.4 ms
     * and a message arrives every millisecond), the loop starts gathering each connection's frames into
     * fewer flushes, at most {@code hub.maxFlushDelay} apart; once it is idle again, a message is flushed
     * at once.
     */
    @Test
    void aLoopBusyFlushingGathersFramesAndAnIdleOneFlushesAtOnce() throws Exception {
        CoreConfig d = CoreConfig.defaults();
        reconfigure(d.toBuilder().hub(d.hub().toBuilder().maxRoomMembers(100).maxPendingFanouts(1000)
                .maxFlushDelay(Duration.ofMillis(8)).build()).build());
        ManualScheduler loop = new ManualScheduler(time.clock);
        Connection sender = hub.register(new RecordingSession(), "s", hub.shard(loop1));
        RecordingSession bs = new RecordingSession();
        Connection b = hub.register(bs, "b", hub.shard(loop));
        join(sender, "r", null);
        join(b, "r", null);
        runLoops();
        loop.runDue();
        bs.duringFlush = () -> time.clock.advance(Duration.ofNanos(400_000));

        int sent = 0;
        int flushesBefore = bs.flushes;
        for (int ms = 0; ms < 400; ms++) {
            publish(sender, "r", "m" + sent++, null, false);
            runLoops();
            loop.runDue();
            time.advanceMillis(1);
            loop.runDue();
        }
        int busyFlushes = bs.flushes - flushesBefore;
        assertThat(busyFlushes).as("flushes for %d messages", sent).isLessThan(sent * 3 / 4);

        time.advanceMillis(50);
        loop.runDue();
        assertThat(contents(bs)).as("every frame flushed within the delay").hasSize(sent);

        time.advanceMillis(2000);
        loop.runDue();
        int before = bs.flushes;
        publish(sender, "r", "after a quiet spell", null, false);
        runLoops();
        loop.runDue();
        assertThat(bs.flushes - before).as("flushed at once").isEqualTo(1);
        assertThat(contents(bs)).endsWith("after a quiet spell");
        runLoops();
    }

    /** The hub with {@code hub.flushInterval} set, and a loop on manual time to run its shard. */
    private ManualScheduler withFlushInterval(Duration interval) {
        CoreConfig d = CoreConfig.defaults();
        reconfigure(d.toBuilder().hub(d.hub().toBuilder().maxRoomMembers(100).maxPendingFanouts(1000)
                .flushInterval(interval).build()).build());
        return new ManualScheduler(time.clock);
    }

    private static List<String> contents(RecordingSession s) {
        return s.ofType("room_message").stream().map(m -> m.path("content").asText()).toList();
    }

    /**
     * Two joins on two loops at once: the first reads the room's members from presence, then the second
     * joins and attaches completely (its notice goes to the members of that moment, without the first),
     * then the first attaches. Its answer must list the second anyway, or it never learns of it.
     */
    @Test
    void aJoinAnswersWithTheLocalMembersThatAttachedAfterItsPresenceRead() throws Exception {
        Runnable[] betweenReadAndAttach = {null};
        PresenceStore racing = afterTheNextMembersRead(new MemoryPresenceStore(), betweenReadAndAttach);
        CoreConfig config = CoreConfig.defaults();
        MemoryHistoryStore history = new MemoryHistoryStore(config.history().size(), config.history().ttl(), time);
        hub = new Hub(config, new Hub.Backends(history, new MemoryBroker(), racing, null,
                null), frames, new JsonCodec(), time, "n1", "test", HubMetrics.NOOP);
        commands = new CommandHandler(hub);
        Peer gina = connect("gina", loop1);
        Peer hank = connect("hank", loop2);
        Peer gone = connect("gone", loop2);
        join(gone.c(), "r", null);
        betweenReadAndAttach[0] = () -> {
            try {
                join(hank.c(), "r", null);
                hub.leave(gone.c(), "r");
            } catch (HubException e) {
                throw new AssertionError(e);
            }
        };

        JoinResult joined = join(gina.c(), "r", null);
        assertThat(joined.members()).extracting(ServerMessage.Member::userId).containsExactly("gina", "hank");
        runLoops();
        assertThat(gina.s().ofType("user_joined_room")).as("hank's notice went out before gina was a member")
                .isEmpty();
    }

    /**
     * The same race across nodes: while gina's join on n1 is between its presence read and its attach,
     * hank joins on n2 and gone leaves there. Their notices reach n1 over the broker before gina is a
     * member, so her answer must apply them, or she never learns of hank and keeps gone listed.
     */
    @Test
    void aJoinAnswersWithTheRemoteJoinsAndLeavesThatArrivedAfterItsPresenceRead() throws Exception {
        PresenceStore shared = new MemoryPresenceStore();
        MemoryBroker.Bus bus = new MemoryBroker.Bus();
        Semaphore n1Heard = new Semaphore(0);
        Broker n1Broker = countingDeliveries(bus.broker(), n1Heard);
        Runnable[] betweenReadAndAttach = {null};
        PresenceStore racing = afterTheNextMembersRead(shared, betweenReadAndAttach);
        MemoryHistoryStore history = sharedHistory();
        hub = node("n1", history, n1Broker, racing);
        Semaphore n2Heard = new Semaphore(0);
        Hub n2 = node("n2", history, countingDeliveries(bus.broker(), n2Heard), shared);
        try {
            startWithKeeper(n2);
            Connection gone = n2.register(new RecordingSession(), "gone", n2.shard(loop2));
            n2.join(gone, "r", null, JoinExpected.INSTANCE);
            assertThat(n1Heard.tryAcquire(5, TimeUnit.SECONDS)).as("n1 heard gone join").isTrue();
            runLoops();
            Peer gina = connect("gina", loop1);
            Connection hank = n2.register(new RecordingSession(), "hank", n2.shard(loop2));
            betweenReadAndAttach[0] = () -> {
                try {
                    n2.join(hank, "r", null, JoinExpected.INSTANCE);
                    n2.leave(gone, "r");
                    assertThat(n1Heard.tryAcquire(2, 5, TimeUnit.SECONDS)).as("n1 heard both notices").isTrue();
                } catch (HubException | InterruptedException e) {
                    throw new AssertionError(e);
                }
            };

            JoinResult joined = join(gina.c(), "r", null);
            assertThat(joined.members()).extracting(ServerMessage.Member::userId)
                    .containsExactly("gina", "hank", "keeper");
            // The manual loops are not thread-safe: let n2's delivery thread queue gina's notice first.
            assertThat(n2Heard.tryAcquire(5, TimeUnit.SECONDS)).as("n2 heard gina join").isTrue();
            runLoops();
            assertThat(gina.s().ofType("user_joined_room")).as("hank's notice arrived before gina was a member")
                    .isEmpty();
        } finally {
            n2.close();
            hub.close();
        }
    }

    @Test
    void aJoinDropsAMemberWhoseLeaveNoticeArrivedBeforeItsPresenceRemovalLanded() throws Exception {
        PresenceStore shared = new MemoryPresenceStore();
        MemoryBroker.Bus bus = new MemoryBroker.Bus();
        Semaphore n1Heard = new Semaphore(0);
        MemoryHistoryStore history = sharedHistory();
        hub = node("n1", history, countingDeliveries(bus.broker(), n1Heard), shared);
        // n2's presence removals of "gone" wait until the test lets them land.
        List<Runnable> heldLeaves = new ArrayList<>();
        String[] holdFor = {null};
        PresenceStore slowLeaves = (PresenceStore) Proxy.newProxyInstance(HubTest.class.getClassLoader(),
                new Class<?>[] {PresenceStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("leave") && args[2].equals(holdFor[0])) {
                        CompletableFuture<PresenceStore.Leave> landed = new CompletableFuture<>();
                        heldLeaves.add(() -> shared.leave((String) args[0], (String) args[1], (String) args[2])
                                .whenComplete((v, e) -> landed.complete(v)));
                        return landed;
                    }
                    try {
                        return method.invoke(shared, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        Hub n2 = node("n2", history, bus.broker(), slowLeaves);
        try {
            startWithKeeper(n2);
            Connection gone = n2.register(new RecordingSession(), "gone", n2.shard(loop2));
            holdFor[0] = gone.connId();
            n2.join(gone, "r", null, JoinExpected.INSTANCE);
            // Left and came back before gina's join: applying the older changes must keep him listed.
            Connection back = n2.register(new RecordingSession(), "back", n2.shard(loop2));
            n2.join(back, "r", null, JoinExpected.INSTANCE);
            n2.leave(back, "r");
            n2.join(back, "r", null, JoinExpected.INSTANCE);
            assertThat(n1Heard.tryAcquire(4, 5, TimeUnit.SECONDS)).as("n1 heard the joins and the leave").isTrue();
            n2.leave(gone, "r");
            assertThat(n1Heard.tryAcquire(5, TimeUnit.SECONDS)).as("n1 heard gone leave").isTrue();
            runLoops();
            assertThat(heldLeaves).as("gone's presence removal has not landed").hasSize(1);

            Peer gina = connect("gina", loop1);
            JoinResult joined = join(gina.c(), "r", null);
            assertThat(joined.members()).extracting(ServerMessage.Member::userId)
                    .containsExactly("back", "gina", "keeper");
            heldLeaves.remove(0).run();
        } finally {
            n2.close();
            hub.close();
        }
    }

    /** One history store for two nodes, as Redis would be. */
    private MemoryHistoryStore sharedHistory() {
        CoreConfig config = CoreConfig.defaults();
        return new MemoryHistoryStore(config.history().size(), config.history().ttl(), time);
    }

    /** A hub of node {@code nodeId} on this test's clock and frames. */
    private Hub node(String nodeId, MemoryHistoryStore history, Broker broker, PresenceStore presence) {
        return new Hub(CoreConfig.defaults(), new Hub.Backends(history, broker, presence, null, null), frames,
                new JsonCodec(), time, nodeId, "test", HubMetrics.NOOP);
    }

    /**
     * Starts {@link #hub} (node 1) and {@code n2}, and has keeper hold room r on node 1, on another loop than
     * gina's: node 1 is subscribed before gina's join, and nothing of the room is queued on gina's loop
     * before she attaches.
     */
    private void startWithKeeper(Hub n2) throws Exception {
        now(hub.start());
        now(n2.start());
        commands = new CommandHandler(hub);
        Peer keeper = connect("keeper", loop2);
        join(keeper.c(), "r", null);
    }

    /** {@code store}, running {@code hook[0]} once (then clearing it) right after the next members read. */
    private static PresenceStore afterTheNextMembersRead(PresenceStore store, Runnable[] hook) {
        return (PresenceStore) Proxy.newProxyInstance(HubTest.class.getClassLoader(),
                new Class<?>[] {PresenceStore.class}, (proxy, method, args) -> {
                    Object result = method.invoke(store, args);
                    // A join reads the first page of members; the API reads them all.
                    boolean read = method.getName().equals("members") || method.getName().equals("page");
                    if (read && hook[0] != null) {
                        Runnable r = hook[0];
                        hook[0] = null;
                        r.run();
                    }
                    return result;
                });
    }

    /** {@code broker}, releasing a permit after each message it delivered to the hub. */
    private static Broker countingDeliveries(Broker broker,
                                                                         Semaphore delivered) {
        return (Broker) Proxy.newProxyInstance(HubTest.class.getClassLoader(),
                new Class<?>[] {Broker.class}, (proxy, method, args) -> {
                    if (method.getName().equals("start")) {
                        Broker.Listener hub =
                                (Broker.Listener) args[0];
                        args = new Object[] {new Broker.Listener() {
                            @Override
                            public void onMessage(String channel, byte[] payload) {
                                hub.onMessage(channel, payload);
                                delivered.release();
                            }

                            @Override
                            public void onReconnected() {
                                hub.onReconnected();
                            }
                        }};
                    }
                    try {
                        return method.invoke(broker, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void aJoinWithSinceReplaysWhatWasMissedAndSkipsDeliveriesStillQueued() throws Exception {
        Peer a = connect("a", loop1);
        join(a.c(), "r", null);
        Peer b = connect("b", loop2);
        join(b.c(), "r", null);
        Peer stays = connect("stays", loop2); // keeps a member list on b's loop, so deliveries queue there
        join(stays.c(), "r", null);
        runLoops();
        for (int i = 0; i < 3; i++) {
            publish(a.c(), "r", "m" + i, null, true);
        }
        runLoops();
        String epoch = now(hub.roomInfo("r")).epoch();
        hub.leave(b.c(), "r");
        publish(a.c(), "r", "m3", null, true);
        publish(a.c(), "r", "m4", null, true);
        runLoops();
        // A delivery of offset 6 is queued on b's loop, then b rejoins from offset 3 before it runs.
        publish(a.c(), "r", "m5", null, true);
        assertThat(loop2.tasks).isNotEmpty();
        JoinResult r = join(b.c(), "r", new Since(3, epoch));
        assertThat(r.recovered()).isTrue();
        assertThat(r.replay()).extracting(m -> m.offset()).containsExactly(4L, 5L, 6L);
        runLoops();
        publish(a.c(), "r", "m6", null, true);
        runLoops();
        assertThat(offsets(b.s())).containsExactly(1L, 2L, 3L, 7L);
        assertThat(offsets(stays.s())).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
    }

    @Test
    void recoveryFromAnotherEpochOrBeyondTheHistoryIsRefused() throws Exception {
        reconfigure(config(History.builder().size(2).ttl(Duration.ofMinutes(5)).build()));
        Peer a = connect("a", loop1);
        join(a.c(), "r", null);
        for (int i = 0; i < 5; i++) {
            publish(a.c(), "r", "m" + i, null, false);
        }
        String epoch = now(hub.roomInfo("r")).epoch();
        Peer b = connect("b", loop2);
        assertThat(join(b.c(), "r", new Since(1, epoch)).recovered()).isFalse();
        hub.leave(b.c(), "r");
        assertThat(join(b.c(), "r", new Since(3, "other")).recovered()).isFalse();
        hub.leave(b.c(), "r");
        JoinResult ok = join(b.c(), "r", new Since(3, epoch));
        assertThat(ok.recovered()).isTrue();
        assertThat(ok.replay()).extracting(m -> m.offset()).containsExactly(4L, 5L);
    }

    @Test
    void expiredHistoryCannotBeRecovered() throws Exception {
        reconfigure(config(History.builder().size(100).ttl(Duration.ofSeconds(10)).build()));
        Peer a = connect("a", loop1);
        join(a.c(), "r", null);
        publish(a.c(), "r", "old", null, false);
        String epoch = now(hub.roomInfo("r")).epoch();
        time.advanceMillis(11_000);
        publish(a.c(), "r", "new", null, false);
        Peer b = connect("b", loop2);
        assertThat(join(b.c(), "r", new Since(0, epoch)).recovered()).isFalse();
        hub.leave(b.c(), "r");
        assertThat(join(b.c(), "r", new Since(1, epoch)).recovered()).isTrue();
    }

    @Test
    void theLastMemberOutRemovesTheRoomButNotItsOffsets() throws Exception {
        Peer a = connect("a", loop1);
        join(a.c(), "r", null);
        publish(a.c(), "r", "x", null, false);
        hub.leave(a.c(), "r");
        assertThat(hub.rooms()).isEmpty();
        assertThat(join(a.c(), "r", null).position().offset()).isEqualTo(1);
    }

    @Test
    void disconnectLeavesEveryRoomAndTellsTheOthers() throws Exception {
        Peer a = connect("a", loop1);
        Peer b = connect("b", loop2);
        join(a.c(), "r1", null);
        join(a.c(), "r2", null);
        join(b.c(), "r1", null);
        runLoops();
        hub.disconnect(b.c(), DisconnectReason.CLIENT_CLOSE);
        runLoops();
        assertThat(a.s().ofType("user_left_room")).hasSize(1);
        assertThat(now(hub.members("r1"))).extracting(m -> m.userId()).containsExactly("a");
        assertThat(hub.connectionCount()).isEqualTo(1);
        hub.disconnect(b.c(), DisconnectReason.CLIENT_CLOSE);
        assertThat(hub.connectionCount()).isEqualTo(1);
    }

    @Test
    void privateMessagesReachEveryConnectionOfTheUser() throws Exception {
        Peer a = connect("a", loop1);
        Peer b1 = connect("bob", loop1);
        Peer b2 = connect("bob", loop2);
        assertThat(now(hub.sendPrivate("a", a.c().connId(), "bob", "psst", null))).isEqualTo(2);
        runLoops();
        assertThat(b1.s().ofType("private_message")).hasSize(1);
        assertThat(b2.s().ofType("private_message")).hasSize(1);
        assertThatThrownBy(() -> hub.sendPrivate("a", null, "nobody", "x", null))
                .isInstanceOfSatisfying(HubException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.USER_NOT_FOUND));
    }

    @Test
    void publishesFailFastWhenAShardQueueIsAtItsBound() throws Exception {
        CoreConfig d = CoreConfig.defaults();
        reconfigure(d.toBuilder().hub(d.hub().toBuilder().maxRoomMembers(100).maxPendingFanouts(16).build()).build());
        Peer a = connect("a", loop1);
        Peer b = connect("b", loop2);
        join(a.c(), "r", null);
        join(b.c(), "r", null);
        loop2.runAll();
        loop1.runAll();
        int accepted = 0;
        for (int i = 0; i < 40; i++) {
            try {
                publish(a.c(), "r", "m", null, false);
                accepted++;
            } catch (HubException e) {
                assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
            }
        }
        assertThat(accepted).isEqualTo(16);
        runLoops();
        assertThat(offsets(b.s())).hasSize(16);
    }

    @Test
    void aConnectionThatKeepsSendingGarbageIsClosedWith1008() {
        Peer a = connect("a", loop1);
        for (int i = 0; i < 10; i++) {
            command(a, "not json");
        }
        assertThat(a.s().ofType("error")).hasSize(10);
        assertThat(a.s().closedWith).isEqualTo(CloseCode.POLICY_VIOLATION);
    }

    @Test
    void aValidCommandResetsTheInvalidStreak() {
        Peer a = connect("a", loop1);
        for (int i = 0; i < 30; i++) {
            command(a, i % 5 == 4 ? "{\"type\":\"ping\"}" : "{}");
        }
        assertThat(a.s().closedWith).isNull();
    }

    @Test
    void heartbeatPingsIdleConnectionsAndClosesSilentOnes() {
        Peer a = connect("a", loop1);
        Shard shard = hub.shard(loop1);
        time.advanceMillis(25_000);
        shard.tick();
        assertThat(a.s().pings).isEqualTo(1);
        time.advanceMillis(36_000);
        shard.tick();
        assertThat(a.s().closedWith).isEqualTo(CloseCode.GOING_AWAY);
        assertThat(hub.connectionCount()).isZero();
    }

    @Test
    void aConnectionBackloggedLongerThanWriteWaitIsASlowConsumer() {
        Peer a = connect("a", loop1);
        a.c().touch(time.nanoTime());
        a.c().backlogged(time.nanoTime());
        time.advanceMillis(10_001);
        a.c().touch(time.nanoTime());
        hub.shard(loop1).tick();
        assertThat(a.s().closedWith).isEqualTo(CloseCode.SLOW_CONSUMER);
    }

    @Test
    void heartbeatTimesFollowAConnectionMovedByARemoval() {
        Peer a = connect("a", loop1);
        Peer b = connect("b", loop1);
        Peer c = connect("c", loop1);
        Peer d = connect("d", loop1);
        time.advanceMillis(30_000);
        d.c().touch(time.nanoTime());
        c.c().backlogged(time.nanoTime());
        // a's slot takes d (the last), then b's slot takes c: both carry their own times along.
        hub.disconnect(a.c(), DisconnectReason.CLIENT_CLOSE);
        hub.disconnect(b.c(), DisconnectReason.CLIENT_CLOSE);
        time.advanceMillis(10_001);
        hub.shard(loop1).tick();
        assertThat(c.s().closedWith).isEqualTo(CloseCode.SLOW_CONSUMER);
        assertThat(d.s().closedWith).isNull();
        time.advanceMillis(20_000);
        hub.shard(loop1).tick();
        assertThat(d.s().closedWith).isNull();
        assertThat(d.s().pings).isEqualTo(1);
        time.advanceMillis(30_000);
        hub.shard(loop1).tick();
        assertThat(d.s().closedWith).isEqualTo(CloseCode.GOING_AWAY);
    }

    @Test
    void joinAnswersTooManyRoomsAtTheLimit() throws Exception {
        Peer a = connect("a", loop1);
        int max = CoreConfig.defaults().websocket().maxRoomsPerConnection();
        for (int i = 0; i < max; i++) {
            join(a.c(), "r" + i, null);
        }
        assertThatThrownBy(() -> join(a.c(), "one-more", null))
                .isInstanceOfSatisfying(HubException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.TOO_MANY_ROOMS);
                    assertThat(e.getMessage()).isEqualTo("already in 100 rooms, the maximum");
                });
    }

    @Test
    void globalPresenceNoticesAreOffByDefaultAndSentWhenEnabled() {
        Peer a = connect("a", loop1);
        connect("b", loop2);
        runLoops();
        assertThat(a.s().ofType("user_joined")).isEmpty();
        CoreConfig d = CoreConfig.defaults();
        reconfigure(d.toBuilder().hub(d.hub().toBuilder().notifyGlobalPresence(true).maxRoomMembers(100)
                .maxPendingFanouts(1000).build()).build());
        Peer c = connect("c", loop1);
        Peer e = connect("e", loop2);
        runLoops();
        JsonNode notice = c.s().ofType("user_joined").get(0);
        assertThat(notice.path("userId").asText()).isEqualTo("e");
        hub.disconnect(e.c(), DisconnectReason.CLIENT_CLOSE);
        runLoops();
        assertThat(c.s().ofType("user_left")).hasSize(1);
    }

    private static CoreConfig config(History history) {
        return CoreConfig.builder().history(history).build();
    }
}
