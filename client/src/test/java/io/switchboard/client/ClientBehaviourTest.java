package io.switchboard.client;

import static io.switchboard.client.ScriptedServer.message;
import static io.switchboard.client.ScriptedServer.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.client.SwitchboardClientException.AckTimeoutException;
import io.switchboard.client.SwitchboardClientException.ClientClosedException;
import io.switchboard.client.SwitchboardClientException.SendQueueFullException;
import io.switchboard.client.SwitchboardClientException.ServerErrorException;
import io.switchboard.testkit.LeakDetection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Client behaviour against a scripted peer: the cases a correct server does not produce on cue. */
@ExtendWith(LeakDetection.class)
class ClientBehaviourTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private ScriptedServer server;
    private final RecordingListener events = new RecordingListener();
    private SwitchboardClient client;

    @BeforeEach
    void start() throws Exception {
        server = new ScriptedServer();
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        server.close();
        events.assertNoCallbackOnEventLoop();
    }

    private ClientConfig.Builder config() {
        return ClientConfig.builder(server.url("alice"))
                .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
                .random(new Random(1))
                .ackTimeout(Duration.ofSeconds(2));
    }

    private SwitchboardClient connect(ClientConfig config) throws Exception {
        client = SwitchboardClients.create(config, events);
        client.connect().get(10, TimeUnit.SECONDS);
        return client;
    }

    @Test
    void publishCompletesWithTheOffsetOfTheAck() throws Exception {
        connect(config().build());
        client.join("lobby").get(5, TimeUnit.SECONDS);
        assertThat(client.publish("lobby", "one").get(5, TimeUnit.SECONDS)).isEqualTo(1L);
        assertThat(client.publish("lobby", "two").get(5, TimeUnit.SECONDS)).isEqualTo(2L);
    }

    @Test
    void publishFailsWithTheServersErrorCode() throws Exception {
        server.script = (ch, cmd) -> {
            ObjectNode error = message("error").put("code", "not_in_room").put("error", "join lobby first");
            error.set("id", cmd.get("id"));
            send(ch, error);
        };
        connect(config().build());
        CompletableFuture<Long> ack = client.publish("lobby", "hi");
        assertThatThrownBy(() -> ack.get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(ServerErrorException.class)
                .hasMessage("not_in_room: join lobby first")
                .satisfies(e -> assertThat(((ServerErrorException) e).code()).isEqualTo("not_in_room"));
    }

    @Test
    void publishTimesOutWhenNoAckArrives() throws Exception {
        server.script = (ch, cmd) -> {
        };
        connect(config().ackTimeout(Duration.ofMillis(300)).build());
        long start = System.nanoTime();
        CompletableFuture<Long> ack = client.publish("lobby", "into the void");
        assertThatThrownBy(() -> ack.get(5, TimeUnit.SECONDS))
                .cause().isInstanceOf(AckTimeoutException.class)
                .hasMessage("no reply to room_message within 300 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(290));
    }

    @Test
    void noReconnectAfterForbidden4003() throws Exception {
        connect(config().build());
        server.closeAll(4003, "forbidden");
        Disconnect d = events.next(Disconnect.class, WAIT);
        assertThat(d.code()).isEqualTo(4003);
        assertThat(d.reconnecting()).isFalse();
        events.next(RecordingListener.StateChange.class, s -> s.state() == ConnectionState.CLOSED, WAIT);
        Thread.sleep(500); // several backoff windows of this config
        assertThat(server.upgrades.get()).isEqualTo(1);
        assertThatThrownBy(() -> client.publish("lobby", "x").get(1, TimeUnit.SECONDS))
                .cause().isInstanceOf(ClientClosedException.class)
                .hasMessage("client is closed: forbidden (4003)");
    }

    @Test
    void reconnectsWithBackoffAfterGoingAwayAndRejoinsWithSince() throws Exception {
        connect(config().build());
        client.join("lobby").get(5, TimeUnit.SECONDS);
        server.closeAll(1001, "going away");
        Disconnect d = events.next(Disconnect.class, WAIT);
        assertThat(d.code()).isEqualTo(1001);
        assertThat(d.reconnecting()).isTrue();
        assertThat(d.delay()).isLessThan(Duration.ofMillis(50)); // full jitter below the first ceiling
        events.next(RecordingListener.Connected.class, c -> c.reconnect(), WAIT);
        RoomJoined rejoined = events.next(RoomJoined.class, WAIT);
        assertThat(rejoined.recovered()).isTrue();
        List<JsonNode> joins = new ArrayList<>();
        for (JsonNode cmd : server.received) {
            if (cmd.path("type").asText().equals("join_room")) {
                joins.add(cmd);
            }
        }
        assertThat(joins).hasSize(2);
        assertThat(joins.get(0).has("since")).isFalse();
        assertThat(joins.get(1).path("since").path("epoch").asText()).isEqualTo("e1");
        assertThat(joins.get(1).path("since").path("offset").asLong()).isEqualTo(0);
    }

    @Test
    void tokenExpiry4001ReconnectsAtOnceWithAFreshTokenFromTheSupplier() throws Exception {
        java.util.concurrent.atomic.AtomicInteger issued = new java.util.concurrent.atomic.AtomicInteger();
        connect(config().tokenSupplier(() -> "token-" + issued.incrementAndGet()).build());
        server.closeAll(4001, "token expired");
        Disconnect d = events.next(Disconnect.class, WAIT);
        assertThat(d.code()).isEqualTo(4001);
        assertThat(d.delay()).isEqualTo(Duration.ZERO);
        events.next(RecordingListener.Connected.class, c -> c.reconnect(), WAIT);
        assertThat(server.authorizations).containsExactly("Bearer token-1", "Bearer token-2");
        // A second expiry right away: the supplier's tokens are stale, so this time back off.
        server.closeAll(4001, "token expired");
        Disconnect again = events.next(Disconnect.class, WAIT);
        assertThat(again.reconnecting()).isTrue();
        events.next(RecordingListener.Connected.class, c -> c.reconnect(), WAIT);
        assertThat(server.authorizations).hasSize(3);
    }

    @Test
    void waitsTheShutdownHintAfter1012() throws Exception {
        connect(config().build());
        server.connections.forEach(ch -> send(ch, message("server_shutdown").put("content", "Server is shutting down")
                .put("reconnectAfterMs", 700)));
        events.next(RecordingListener.ShutdownNotice.class, WAIT);
        server.closeAll(1012, "service restart");
        Disconnect d = events.next(Disconnect.class, WAIT);
        assertThat(d.code()).isEqualTo(1012);
        assertThat(d.delay()).isEqualTo(Duration.ofMillis(700));
        long start = System.nanoTime();
        events.next(RecordingListener.Connected.class, WAIT);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(600));
    }

    @Test
    void sendQueueOverflowFailsFastWithAClearError() throws Exception {
        connect(config().maxQueuedCommands(3).backoff(Duration.ofSeconds(30), Duration.ofSeconds(30)).build());
        server.dropAll();
        events.next(Disconnect.class, WAIT);
        List<CompletableFuture<Long>> sends = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            sends.add(client.publish("lobby", "m" + i));
        }
        assertThatThrownBy(() -> sends.get(3).get(1, TimeUnit.SECONDS))
                .cause().isInstanceOf(SendQueueFullException.class)
                .hasMessage("send queue full (3 commands waiting); the connection is down or too slow, retry later");
        assertThat(sends.get(0)).isNotDone();
    }

    @Test
    void aSilentConnectionIsDeclaredDeadAndReplaced() throws Exception {
        connect(config().pingInterval(Duration.ofMillis(100)).receiveTimeout(Duration.ofMillis(400)).build());
        // Stop reading: no pongs, no data, as with a peer behind a dead NAT mapping.
        server.connections.forEach(ch -> ch.config().setAutoRead(false));
        Disconnect d = events.next(Disconnect.class, WAIT);
        assertThat(d.code()).isEqualTo(Disconnect.ABNORMAL);
        assertThat(d.reason()).isEqualTo("nothing received within the receive timeout: connection presumed dead");
        assertThat(d.reconnecting()).isTrue();
        events.next(RecordingListener.Connected.class, c -> c.reconnect(), WAIT);
    }

    @Test
    void firstConnectionFailureFailsConnectAndDoesNotRetry() throws Exception {
        String url = server.url("alice");
        server.close();
        client = SwitchboardClients.create(ClientConfig.builder(url).build(), events);
        assertThatThrownBy(() -> client.connect().get(10, TimeUnit.SECONDS))
                .cause().isInstanceOf(ClientClosedException.class)
                .hasMessageStartingWith("could not connect to " + url + ": connect failed");
        assertThat(client.state()).isEqualTo(ConnectionState.CLOSED);
        server = new ScriptedServer(); // for stop()
    }

    @Test
    void closeSendsANormalCloseFrameAndStopsReconnecting() throws Exception {
        connect(config().build());
        client.closeAsync().get(5, TimeUnit.SECONDS);
        assertThat(client.state()).isEqualTo(ConnectionState.CLOSED);
        Disconnect d = events.next(Disconnect.class, WAIT);
        assertThat(d.code()).isEqualTo(1000);
        assertThat(d.reconnecting()).isFalse();
        Thread.sleep(300);
        assertThat(server.upgrades.get()).isEqualTo(1);
    }
}
