package io.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchboard.client.SwitchboardClientException.ServerErrorException;
import io.switchboard.server.SwitchboardServer;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.LeakDetection;
import io.switchboard.testkit.TcpProxy;
import io.switchboard.testkit.UpgradeRefusingProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The client over HTTP streaming against the real server over real sockets: the same API as over a WebSocket,
 * recovery after a dropped stream, and the fall back from a WebSocket a proxy refuses.
 */
@ExtendWith(LeakDetection.class)
class HttpStreamingTransportTest {
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

    private SwitchboardClient client(int port, String user, Transport transport, ClientListener listener)
            throws Exception {
        SwitchboardClient c = SwitchboardClients.create(ClientConfig.builder("ws://127.0.0.1:" + port + "/ws?id=" + user)
                .transport(transport).backoff(Duration.ofMillis(100), Duration.ofSeconds(1)).random(new Random(3))
                .build(), listener);
        resources.add(c);
        c.connect().get(10, TimeUnit.SECONDS);
        return c;
    }

    @Test
    void overHttpStreamingCommandsRepliesAndDeliveriesWorkAsOverAWebSocket() throws Exception {
        server = SwitchboardServer.start(RealServerTest.config(0));
        RecordingListener aliceEvents = new RecordingListener();
        RecordingListener bobEvents = new RecordingListener();
        SwitchboardClient alice = client(server.port(), "alice", Transport.HTTP_STREAMING, aliceEvents);
        SwitchboardClient bob = client(server.port(), "bob", Transport.WEBSOCKET, bobEvents);
        assertThat(alice.transport()).isEqualTo(Transport.HTTP_STREAMING);
        assertThat(alice.welcome().userId()).isEqualTo("alice");
        assertThat(server.hub().connectionCount()).isEqualTo(2);

        assertThat(alice.join("lobby").get(5, TimeUnit.SECONDS).room()).isEqualTo("lobby");
        bob.join("lobby").get(5, TimeUnit.SECONDS);
        assertThat(alice.publish("lobby", "one").get(5, TimeUnit.SECONDS)).isEqualTo(1L);
        assertThat(alice.publish("lobby", "two").get(5, TimeUnit.SECONDS)).isEqualTo(2L);
        assertThat(bobEvents.next(RoomMessage.class, WAIT).content()).isEqualTo("one");
        assertThat(bobEvents.next(RoomMessage.class, WAIT).content()).isEqualTo("two");
        bob.publish("lobby", "back").get(5, TimeUnit.SECONDS);
        RoomMessage back = aliceEvents.next(RoomMessage.class, WAIT);
        assertThat(back.content()).isEqualTo("back");
        assertThat(back.offset()).isEqualTo(3);
        bob.sendPrivate("alice", "psst", null).get(5, TimeUnit.SECONDS);
        assertThat(aliceEvents.next(DirectMessage.class, WAIT).content()).isEqualTo("psst");

        assertThat(alice.presence("lobby").get(5, TimeUnit.SECONDS).count()).isEqualTo(2);
        assertThat(alice.history("lobby", 0L, 10).get(5, TimeUnit.SECONDS).messages())
                .extracting(RoomMessage::content).containsExactly("one", "two", "back");
        CompletableFuture<Long> notJoined = alice.publish("elsewhere", "x");
        assertThatThrownBy(() -> notJoined.get(5, TimeUnit.SECONDS)).cause().isInstanceOf(ServerErrorException.class)
                .satisfies(e -> assertThat(((ServerErrorException) e).code()).isEqualTo("not_in_room"));
        CompletableFuture<Void> binary = alice.sendBinary(new byte[] {1, 0, 0, 0});
        assertThatThrownBy(() -> binary.get(5, TimeUnit.SECONDS)).hasMessageContaining(
                "binary frames need a WebSocket: HTTP streaming carries JSON commands only");
        aliceEvents.assertNoCallbackOnEventLoop();
    }

    @Test
    void aDroppedStreamRecoversEveryMissedMessageExactlyOnceAndInOrder() throws Exception {
        server = SwitchboardServer.start(RealServerTest.config(0));
        TcpProxy proxy = new TcpProxy(server.port());
        resources.add(proxy);
        RecordingListener subEvents = new RecordingListener();
        SwitchboardClient subscriber = client(proxy.port(), "sub", Transport.HTTP_STREAMING, subEvents);
        SwitchboardClient publisher = client(server.port(), "pub", Transport.WEBSOCKET, new RecordingListener());
        subscriber.join("feed").get(5, TimeUnit.SECONDS);
        publisher.join("feed").get(5, TimeUnit.SECONDS);
        int total = 200;
        for (int i = 1; i <= total; i++) {
            publisher.publish("feed", "m" + i).get(5, TimeUnit.SECONDS);
            if (i == 130) {
                // Two drops, each of a stream that was up: a cut while the first reconnect is still in its
                // backoff would cut nothing.
                Await.until("reconnected after the first drop", WAIT, () -> reconnects(subEvents) >= 1);
            }
            if (i == 60 || i == 130) {
                proxy.cut(); // the stream and any POST connection drop; the publisher goes on
            }
        }
        Await.until("every message", WAIT, () -> subEvents.roomMessages.size() >= total);
        List<Long> expected = new ArrayList<>();
        for (long i = 1; i <= total; i++) {
            expected.add(i);
        }
        // A duplicate would come right behind the last one: ask for a reply on the same stream first.
        subscriber.presence("feed").get(5, TimeUnit.SECONDS);
        assertThat(subEvents.roomMessages.stream().map(RoomMessage::offset).toList()).containsExactlyElementsOf(expected);
        assertThat(subEvents.events).noneMatch(e -> e instanceof RecordingListener.RecoveryFailed);
        assertThat(reconnects(subEvents)).isGreaterThanOrEqualTo(2);
        assertThat(subscriber.transport()).isEqualTo(Transport.HTTP_STREAMING);
    }

    private static long reconnects(RecordingListener events) {
        return events.events.stream().filter(e -> e instanceof RecordingListener.Connected c && c.reconnect()).count();
    }

    @Test
    void autoFallsBackToHttpStreamingWhenAProxyRefusesTheWebSocketUpgrade() throws Exception {
        server = SwitchboardServer.start(RealServerTest.config(0));
        UpgradeRefusingProxy proxy = new UpgradeRefusingProxy(server.port());
        resources.add(proxy);
        RecordingListener events = new RecordingListener();
        SwitchboardClient c = client(proxy.port(), "carol", Transport.AUTO, events);
        assertThat(proxy.upgradesRefused()).isEqualTo(1);
        assertThat(c.transport()).isEqualTo(Transport.HTTP_STREAMING);
        Disconnect refused = events.next(Disconnect.class, WAIT);
        assertThat(refused.code()).isEqualTo(403);
        assertThat(refused.reason()).isEqualTo("upgrade rejected: 403 Forbidden; trying HTTP streaming");
        assertThat(c.join("lobby").get(5, TimeUnit.SECONDS).room()).isEqualTo("lobby");
        assertThat(c.publish("lobby", "through the proxy").get(5, TimeUnit.SECONDS)).isEqualTo(1L);
    }

    @Test
    void aStreamTheServerRefusesEndsTheClientWithTheServersReason() throws Exception {
        server = SwitchboardServer.start(RealServerTest.config(0));
        SwitchboardClient c = SwitchboardClients.create(ClientConfig.builder("ws://127.0.0.1:" + server.port()
                + "/ws?id=" + "x".repeat(300)).transport(Transport.HTTP_STREAMING).build(), new RecordingListener());
        resources.add(c);
        assertThatThrownBy(() -> c.connect().get(10, TimeUnit.SECONDS))
                .cause().isInstanceOf(SwitchboardClientException.ClientClosedException.class)
                .satisfies(e -> assertThat(((SwitchboardClientException.ClientClosedException) e).closeCode())
                        .isEqualTo(400))
                .hasMessageContaining("stream refused: 400 ");
    }
}
