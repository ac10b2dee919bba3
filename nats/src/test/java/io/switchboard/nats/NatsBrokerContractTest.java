package io.switchboard.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchboard.core.broker.Broker;
import io.switchboard.core.broker.BrokerContract;
import io.switchboard.testkit.NatsServerProcess;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The broker contract against one real nats-server for the whole class, plus what NATS adds to it. */
class NatsBrokerContractTest extends BrokerContract {
    private static NatsServerProcess server;

    @BeforeAll
    static void startServer() {
        server = NatsServerProcess.started();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
        assertThat(NatsServerProcess.running()).as("nats-server processes left behind").isZero();
    }

    @Override
    protected Broker newBroker() {
        return new NatsBroker(NatsSettings.defaults(server.url()), Duration.ofSeconds(1));
    }

    @Test
    void aNodeNeverHearsItsOwnMessages() throws Exception {
        String channel = prefix + "room.self";
        await(a.subscribe(channel));
        await(b.subscribe(channel));
        await(a.publish(channel, bytes("x")));
        assertThat(text(inboxB.next())).isEqualTo("x");
        assertThat(inboxA.poll(Duration.ofMillis(200))).isNull();
    }

    @Test
    void oddChannelNamesReachTheirOwnSubscribersAndNoOneElse() throws Exception {
        List<String> odd = List.of("a.b", "..", "x_y", "@/:-", ".", "a", "A", prefix + "room.chat:general/x@y-z_1");
        // Each of these would collide with one above under a naive mapping (dots as separators, _ unescaped).
        List<String> lookalikes = List.of("a_b", "a_2Eb", "a/b", "_2E_2E", "x_5Fy", "x.y", "_", "@/:_", "-");
        for (String channel : odd) {
            await(b.subscribe(channel));
        }
        for (String channel : lookalikes) {
            await(a.publish(channel, bytes("lookalike " + channel)));
        }
        for (String channel : odd) {
            await(a.publish(channel, bytes("for " + channel)));
        }
        for (String channel : odd) {
            Received r = inboxB.next();
            assertThat(r.channel()).isEqualTo(channel);
            assertThat(text(r)).isEqualTo("for " + channel);
        }
        assertThat(inboxB.poll(Duration.ofMillis(200))).isNull();
    }

    @Test
    void subscribingTwiceDeliversOnce() throws Exception {
        String channel = prefix + "room.twice";
        await(b.subscribe(channel));
        await(b.subscribe(channel));
        await(a.publish(channel, bytes("once")));
        assertThat(text(inboxB.next())).isEqualTo("once");
        assertThat(inboxB.poll(Duration.ofMillis(200))).isNull();
    }

    @Test
    void aBurstOfSubscribesAllCompleteAndAllReceive() throws Exception {
        List<CompletableFuture<Void>> subscribed = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            subscribed.add(b.subscribe(prefix + "burst." + i).toCompletableFuture());
        }
        await(CompletableFuture.allOf(subscribed.toArray(CompletableFuture[]::new)));
        for (int i = 0; i < 500; i += 99) {
            await(a.publish(prefix + "burst." + i, bytes("to " + i)));
            assertThat(text(inboxB.next())).isEqualTo("to " + i);
        }
    }

    @Test
    void anEmptyPayloadArrivesEmpty() throws Exception {
        String channel = prefix + "room.empty-payload";
        await(b.subscribe(channel));
        await(a.publish(channel, new byte[0]));
        assertThat(inboxB.next().payload()).isEmpty();
    }

    @Test
    void aClosedBrokerFailsEveryOperationAndSaysItIsDisconnected() {
        a.close();
        assertThat(a.isConnected()).isFalse();
        assertThatThrownBy(() -> await(a.publish(prefix + "x", bytes("late"))))
                .isInstanceOf(ExecutionException.class).hasMessageContaining("NATS broker closed");
        assertThatThrownBy(() -> await(a.subscribe(prefix + "x")))
                .isInstanceOf(ExecutionException.class).hasMessageContaining("NATS broker closed");
    }

    @Test
    void channelsOutsideTheContractFailTheFutureInsteadOfThrowing() {
        assertThatThrownBy(() -> await(a.publish("", bytes("x"))))
                .hasCauseInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> await(a.subscribe("c".repeat(201))))
                .hasCauseInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void describesItselfByServerAddress() {
        assertThat(a.describe()).isEqualTo("nats 127.0.0.1:" + server.port());
    }

    private static String text(Received r) {
        return new String(r.payload(), StandardCharsets.UTF_8);
    }
}
