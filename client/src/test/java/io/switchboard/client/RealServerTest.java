package io.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchboard.client.SwitchboardClientException.AckTimeoutException;
import io.switchboard.client.SwitchboardClientException.ServerErrorException;
import io.switchboard.core.config.Security;
import io.switchboard.server.SwitchboardServer;
import io.switchboard.server.config.Api;
import io.switchboard.server.config.Server;
import io.switchboard.server.config.Shutdown;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.LeakDetection;
import io.switchboard.testkit.TcpProxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The client against the real server: acks, errors, recovery across dropped connections and restarts. */
@ExtendWith(LeakDetection.class)
class RealServerTest {
    static final String API_KEY = "client-test-api-key-0123456789";
    private static final Duration WAIT = Duration.ofSeconds(15);

    private final List<AutoCloseable> resources = new ArrayList<>();
    private SwitchboardServer server;

    @AfterEach
    void stop() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        if (server != null) {
            server.close();
        }
    }

    static SwitchboardConfig config(int port) {
        return SwitchboardConfig.builder()
                .server(Server.builder().host("127.0.0.1").port(port).ioThreads(1).nodeId("t1")
                        .readTimeout(Duration.ofSeconds(5)).idleTimeout(Duration.ofSeconds(30)).build())
                .history(io.switchboard.core.config.History.builder().size(10_000).ttl(Duration.ofMinutes(5)).build())
                .shutdown(Shutdown.builder().drainTimeout(Duration.ofSeconds(1)).build())
                .api(Api.builder().keys(List.of(API_KEY)).build())
                .security(Security.builder().rateLimitRps(1_000_000).rateLimitBurst(1_000_000).maxConnectionsPerIp(0)
                        .maxConnectionsPerUser(0).maxHandshakesPerIpPerSecond(0).clientBroadcast(true)
                        .privateMessages("all").broadcastMaxBytes(64 * 1024).broadcastPerSecond(1_000_000)
                        .build())
                .build();
    }

    /** Starts a server on the port, retrying while the previous one's socket lingers. */
    static SwitchboardServer startOn(int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                return SwitchboardServer.start(config(port));
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private SwitchboardClient client(String url, RecordingListener listener) throws Exception {
        ClientConfig config = ClientConfig.builder(url)
                .backoff(Duration.ofMillis(100), Duration.ofSeconds(1))
                .random(new Random(3))
                .build();
        SwitchboardClient c = SwitchboardClients.create(config, listener);
        resources.add(c);
        c.connect().get(10, TimeUnit.SECONDS);
        return c;
    }

    private String url(int port, String user) {
        return "ws://127.0.0.1:" + port + "/ws?id=" + user;
    }

    @Test
    void acksCompleteWithOffsetsAndErrorsCarryTheServerCode() throws Exception {
        server = SwitchboardServer.start(config(0));
        RecordingListener events = new RecordingListener();
        SwitchboardClient alice = client(url(server.port(), "alice"), events);
        RoomJoined joined = alice.join("lobby").get(5, TimeUnit.SECONDS);
        assertThat(joined.room()).isEqualTo("lobby");
        assertThat(joined.members()).extracting(Member::userId).containsExactly("alice");
        assertThat(alice.publish("lobby", "one").get(5, TimeUnit.SECONDS)).isEqualTo(1L);
        assertThat(alice.publish("lobby", "two").get(5, TimeUnit.SECONDS)).isEqualTo(2L);
        CompletableFuture<Long> notJoined = alice.publish("elsewhere", "x");
        assertThatThrownBy(() -> notJoined.get(5, TimeUnit.SECONDS))
                .cause().isInstanceOf(ServerErrorException.class)
                .satisfies(e -> assertThat(((ServerErrorException) e).code()).isEqualTo("not_in_room"));
        assertThat(alice.presence("lobby").get(5, TimeUnit.SECONDS).count()).isEqualTo(1);
        History history = alice.history("lobby", 0L, 10).get(5, TimeUnit.SECONDS);
        assertThat(history.messages()).extracting(RoomMessage::content).containsExactly("one", "two");
        events.assertNoCallbackOnEventLoop();
    }

    @Test
    void blockingReceiverHandsOutMessagesAndTimesOut() throws Exception {
        server = SwitchboardServer.start(config(0));
        SwitchboardClient reader = client(url(server.port(), "reader"), new RecordingListener());
        SwitchboardClient writer = client(url(server.port(), "writer"), new RecordingListener());
        BlockingReceiver inbox = new BlockingReceiver(2);
        reader.join("inbox", inbox).get(5, TimeUnit.SECONDS);
        writer.join("inbox").get(5, TimeUnit.SECONDS);
        for (int i = 1; i <= 3; i++) {
            writer.publish("inbox", "m" + i).get(5, TimeUnit.SECONDS);
        }
        Await.until("the full inbox drops a message", WAIT, () -> inbox.dropped() > 0);
        assertThat(inbox.dropped()).isEqualTo(1); // capacity 2, nobody reading: the third is dropped
        assertThat(inbox.receive(Duration.ofSeconds(5)).content()).isEqualTo("m1");
        assertThat(inbox.receive(Duration.ofSeconds(5)).content()).isEqualTo("m2");
        assertThatThrownBy(() -> inbox.receive(Duration.ofMillis(200)))
                .isInstanceOf(java.util.concurrent.TimeoutException.class)
                .hasMessage("no room message within 200 ms");
    }

    @Test
    void aRejectedUpgradeFailsConnectWithTheHttpStatusAndIsNotRetried() throws Exception {
        server = SwitchboardServer.start(config(0));
        RecordingListener events = new RecordingListener();
        SwitchboardClient c = SwitchboardClients.create(ClientConfig.builder(
                "ws://127.0.0.1:" + server.port() + "/not-the-endpoint").build(), events);
        resources.add(c);
        assertThatThrownBy(() -> c.connect().get(10, TimeUnit.SECONDS))
                .cause().isInstanceOf(SwitchboardClientException.ClientClosedException.class)
                .satisfies(e -> assertThat(((SwitchboardClientException.ClientClosedException) e).closeCode())
                        .isBetween(400, 499))
                .hasMessageContaining("upgrade rejected");
        Disconnect d = events.next(Disconnect.class, WAIT);
        assertThat(d.reconnecting()).isFalse();
    }

    @Test
    void binaryEchoFramesRoundTrip() throws Exception {
        server = SwitchboardServer.start(config(0));
        java.util.concurrent.BlockingQueue<byte[]> frames = new java.util.concurrent.LinkedBlockingQueue<>();
        SwitchboardClient c = SwitchboardClients.create(ClientConfig.builder(url(server.port(), "bin")).build(),
                new ClientListener() {
                    @Override
                    public void onBinary(byte[] frame) {
                        frames.add(frame);
                    }
                });
        resources.add(c);
        c.connect().get(10, TimeUnit.SECONDS);
        c.sendBinary(new byte[] {0x01, 0, 0, 3, 'a', 'b', 'c'}).get(5, TimeUnit.SECONDS);
        assertThat(frames.poll(10, TimeUnit.SECONDS)).containsExactly(0x02, 0, 0, 3, 'a', 'b', 'c');
    }

    @Test
    void roomMessagesPrivateMessagesAndBroadcastsReachTheListener() throws Exception {
        server = SwitchboardServer.start(config(0));
        RecordingListener aliceEvents = new RecordingListener();
        RecordingListener bobEvents = new RecordingListener();
        SwitchboardClient alice = client(url(server.port(), "alice"), aliceEvents);
        SwitchboardClient bob = client(url(server.port(), "bob"), bobEvents);
        alice.join("lobby").get(5, TimeUnit.SECONDS);
        bob.join("lobby").get(5, TimeUnit.SECONDS);
        alice.publish("lobby", "hello bob").get(5, TimeUnit.SECONDS);
        RoomMessage m = bobEvents.next(RoomMessage.class, WAIT);
        assertThat(m.from()).isEqualTo("alice");
        assertThat(m.content()).isEqualTo("hello bob");
        assertThat(m.offset()).isEqualTo(1);
        alice.sendPrivate("bob", "psst", null).get(5, TimeUnit.SECONDS);
        DirectMessage pm = bobEvents.next(DirectMessage.class, WAIT);
        assertThat(pm.broadcast()).isFalse();
        assertThat(pm.content()).isEqualTo("psst");
        alice.broadcast("all", null).get(5, TimeUnit.SECONDS);
        DirectMessage all = bobEvents.next(DirectMessage.class, WAIT);
        assertThat(all.broadcast()).isTrue();
        bobEvents.assertNoCallbackOnEventLoop();
    }

    @Test
    void droppedConnectionRecoversEveryMissedMessageExactlyOnceAndInOrder() throws Exception {
        server = SwitchboardServer.start(config(0));
        TcpProxy proxy = new TcpProxy(server.port());
        resources.add(proxy);
        RecordingListener subEvents = new RecordingListener();
        SwitchboardClient subscriber = client(url(proxy.port(), "sub"), subEvents);
        SwitchboardClient publisher = client(url(server.port(), "pub"), new RecordingListener());
        subscriber.join("feed").get(5, TimeUnit.SECONDS);
        publisher.join("feed").get(5, TimeUnit.SECONDS);
        int total = 300;
        for (int i = 1; i <= total; i++) {
            publisher.publish("feed", "m" + i).get(5, TimeUnit.SECONDS);
            if (i == 100 || i == 200) {
                if (i == 200) {
                    // A second cut before the subscriber is back would cut nothing.
                    Await.until("the subscriber reconnected after the first cut", WAIT,
                            () -> reconnects(subEvents) >= 1);
                }
                proxy.cut(); // mid-stream, twice; the publisher keeps going while the subscriber is away
            }
            if (i % 10 == 0) {
                Thread.sleep(2);
            }
        }
        awaitMessages(subEvents, total);
        Thread.sleep(200); // a duplicate would arrive now
        List<Long> offsets = subEvents.roomMessages.stream().map(RoomMessage::offset).toList();
        List<Long> expected = new ArrayList<>();
        for (long i = 1; i <= total; i++) {
            expected.add(i);
        }
        assertThat(offsets).containsExactlyElementsOf(expected);
        assertThat(subEvents.roomMessages.get(total - 1).content()).isEqualTo("m" + total);
        assertThat(subEvents.events).noneMatch(e -> e instanceof RecordingListener.RecoveryFailed);
        assertThat(reconnects(subEvents)).isGreaterThanOrEqualTo(2);
        assertThat(subEvents.events.stream().filter(e -> e instanceof RoomJoined j && Boolean.TRUE.equals(j.recovered())))
                .hasSizeGreaterThanOrEqualTo(2);
        subEvents.assertNoCallbackOnEventLoop();
    }

    private static long reconnects(RecordingListener events) {
        return events.events.stream().filter(e -> e instanceof RecordingListener.Connected c && c.reconnect()).count();
    }

    @Test
    void killedServerRestartedOnTheSamePortIsReachedAgainAndReportsRecoveredFalse() throws Exception {
        server = SwitchboardServer.start(config(0));
        int port = server.port();
        // A killed process sends no close frame; its kernel just drops the sockets. The proxy lets
        // the test drop them the same way (SwitchboardServer.close() sends close 1000, see below).
        TcpProxy proxy = new TcpProxy(port);
        resources.add(proxy);
        RecordingListener subEvents = new RecordingListener();
        SwitchboardClient subscriber = client(url(proxy.port(), "sub"), subEvents);
        SwitchboardClient publisher = client(url(proxy.port(), "pub"), new RecordingListener());
        subscriber.join("feed").get(5, TimeUnit.SECONDS);
        publisher.join("feed").get(5, TimeUnit.SECONDS);
        for (int i = 1; i <= 20; i++) {
            publisher.publish("feed", "before-" + i).get(5, TimeUnit.SECONDS);
        }
        // An ack means published, not delivered: let the subscriber see all 20 before the kill, or
        // the last ones die with the server (which the recovered:false below would then cover).
        awaitMessages(subEvents, 20);
        proxy.freeze();
        server.close(); // killed mid-stream: in-memory history is gone with it
        proxy.cut();
        proxy.thaw();
        Disconnect lost = subEvents.next(Disconnect.class, WAIT);
        assertThat(lost.reconnecting()).as("reconnecting after %s", lost).isTrue();
        assertThat(lost.code()).isEqualTo(Disconnect.ABNORMAL);
        server = startOn(port);
        RecordingListener.RecoveryFailed failed = subEvents.next(RecordingListener.RecoveryFailed.class, WAIT);
        assertThat(failed.joined().recovered()).isFalse();
        // The publisher reconnected too (its room rejoined); new messages start a new epoch at offset 1.
        publisherReady(publisher);
        for (int i = 1; i <= 20; i++) {
            publisher.publish("feed", "after-" + i).get(5, TimeUnit.SECONDS);
        }
        awaitMessages(subEvents, 40);
        List<String> contents = subEvents.roomMessages.stream().map(RoomMessage::content).toList();
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            expected.add("before-" + i);
        }
        for (int i = 1; i <= 20; i++) {
            expected.add("after-" + i);
        }
        assertThat(contents).containsExactlyElementsOf(expected);
        assertThat(subEvents.roomMessages.get(20).offset()).isEqualTo(1);
        subEvents.assertNoCallbackOnEventLoop();
    }

    @Test
    void closingTheServerDoesNotTellClientsToStayAway() throws Exception {
        server = SwitchboardServer.start(config(0));
        RecordingListener events = new RecordingListener();
        client(url(server.port(), "alice"), events);
        server.close();
        Disconnect d = events.next(Disconnect.class, WAIT);
        assertThat(d.code()).as("going away, not normal closure").isEqualTo(1001);
        assertThat(d.reconnecting()).as("reconnecting after %s", d).isTrue();
    }

    /**
     * The ack of a publish is lost with its connection (the request reached the server, the reply did not): the
     * client sends it again after reconnecting, with the same idempotency key, and the server acks it with the
     * first offset without storing or delivering it twice.
     */
    @Test
    void aPublishWhoseAckWasLostIsSentAgainAndDeliveredOnce() throws Exception {
        server = SwitchboardServer.start(config(0));
        TcpProxy proxy = new TcpProxy(server.port());
        resources.add(proxy);
        RecordingListener subEvents = new RecordingListener();
        SwitchboardClient subscriber = client(url(server.port(), "sub"), subEvents);
        SwitchboardClient publisher = client(url(proxy.port(), "pub"), new RecordingListener());
        subscriber.join("once").get(5, TimeUnit.SECONDS);
        publisher.join("once").get(5, TimeUnit.SECONDS);

        proxy.freezeDownstream();
        java.util.concurrent.CompletableFuture<Long> published = publisher.publish("once", "pay");
        awaitMessages(subEvents, 1); // the server has it; its ack is held in the proxy
        proxy.cut();
        assertThat(published.get(10, TimeUnit.SECONDS)).as("acked after the reconnect with the first offset")
                .isEqualTo(1);
        assertThat(publisher.publish("once", "next").get(5, TimeUnit.SECONDS)).isEqualTo(2);
        awaitMessages(subEvents, 2);
        assertThat(subEvents.roomMessages).extracting(RoomMessage::content).containsExactly("pay", "next");
    }

    @Test
    void presencePagesWithACursorAndAllMembersReadsEveryPage() throws Exception {
        server = SwitchboardServer.start(config(0));
        List<SwitchboardClient> members = new ArrayList<>();
        for (String user : List.of("e", "a", "d", "b", "c")) {
            SwitchboardClient c = client(url(server.port(), user), new RecordingListener());
            c.join("crowd").get(5, TimeUnit.SECONDS);
            members.add(c);
        }
        SwitchboardClient reader = members.get(0);
        Presence first = reader.presence("crowd", 2, null).get(5, TimeUnit.SECONDS);
        assertThat(first.count()).isEqualTo(5);
        assertThat(first.members()).extracting(Member::userId).containsExactly("a", "b");
        assertThat(first.hasMore()).isTrue();
        Presence second = reader.presence("crowd", 2, first.cursor()).get(5, TimeUnit.SECONDS);
        assertThat(second.members()).extracting(Member::userId).containsExactly("c", "d");
        assertThat(reader.allMembers("crowd").get(5, TimeUnit.SECONDS)).extracting(Member::userId)
                .containsExactly("a", "b", "c", "d", "e");
        assertThat(reader.presence("crowd").get(5, TimeUnit.SECONDS).hasMore()).isFalse();
    }

    private static void awaitMessages(RecordingListener events, int count) {
        Await.until(count + " room messages, got " + events.roomMessages.size() + " when the wait began", WAIT,
                () -> events.roomMessages.size() >= count);
    }

    private static void publisherReady(SwitchboardClient publisher) {
        Await.until("the publisher is connected", WAIT, () -> publisher.state() == ConnectionState.CONNECTED);
        assertThat(publisher.state()).isEqualTo(ConnectionState.CONNECTED);
    }

    @Test
    void noReconnectAfterTheServerDisconnectsTheUserWith4003() throws Exception {
        server = SwitchboardServer.start(config(0));
        RecordingListener events = new RecordingListener();
        SwitchboardClient mallory = client(url(server.port(), "mallory"), events);
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/api/disconnect"))
                .header("Authorization", "Bearer " + API_KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"userId\":\"mallory\",\"code\":4003}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        Disconnect d = events.next(Disconnect.class, WAIT);
        assertThat(d.code()).isEqualTo(4003);
        assertThat(d.reconnecting()).isFalse();
        events.next(RecordingListener.StateChange.class, s -> s.state() == ConnectionState.CLOSED, WAIT);
        Thread.sleep(1000); // ten times the first backoff ceiling of this config
        assertThat(events.events).noneMatch(e -> e instanceof RecordingListener.Connected);
        assertThat(mallory.state()).isEqualTo(ConnectionState.CLOSED);
    }

    @Test
    void gracefulShutdownIsFollowedByAReconnectAfterTheServersHint() throws Exception {
        server = SwitchboardServer.start(config(0));
        int port = server.port();
        RecordingListener events = new RecordingListener();
        client(url(port, "alice"), events);
        server.shutdown(Duration.ofMillis(200));
        RecordingListener.ShutdownNotice notice = events.next(RecordingListener.ShutdownNotice.class, WAIT);
        Disconnect d = events.next(Disconnect.class, WAIT);
        assertThat(d.code()).isEqualTo(1012);
        assertThat(d.reconnecting()).isTrue();
        assertThat(d.delay()).isEqualTo(Duration.ofMillis(notice.reconnectAfterMs()));
        server = startOn(port);
        events.next(RecordingListener.Connected.class, c -> c.reconnect(), WAIT);
    }

    @Test
    void aFrozenConnectionTimesOutRequestsAndIsDeclaredDead() throws Exception {
        server = SwitchboardServer.start(config(0));
        TcpProxy proxy = new TcpProxy(server.port());
        resources.add(proxy);
        RecordingListener events = new RecordingListener();
        SwitchboardClient c = SwitchboardClients.create(ClientConfig.builder(url(proxy.port(), "alice"))
                .ackTimeout(Duration.ofMillis(300))
                .pingInterval(Duration.ofMillis(200))
                .receiveTimeout(Duration.ofMillis(1500))
                .backoff(Duration.ofMillis(100), Duration.ofSeconds(1))
                .build(), events);
        resources.add(c);
        c.connect().get(10, TimeUnit.SECONDS);
        c.join("lobby").get(5, TimeUnit.SECONDS);
        proxy.freeze();
        assertThatThrownBy(() -> c.publish("lobby", "stuck").get(5, TimeUnit.SECONDS))
                .cause().isInstanceOf(AckTimeoutException.class)
                .hasMessage("no reply to room_message within 300 ms");
        Disconnect d = events.next(Disconnect.class, WAIT);
        assertThat(d.code()).isEqualTo(Disconnect.ABNORMAL);
        assertThat(d.reconnecting()).isTrue();
        proxy.cut();
        proxy.thaw();
        events.next(RecordingListener.Connected.class, e -> e.reconnect(), WAIT);
        assertThat(c.publish("lobby", "unstuck").get(5, TimeUnit.SECONDS)).isEqualTo(1L);
    }
}
