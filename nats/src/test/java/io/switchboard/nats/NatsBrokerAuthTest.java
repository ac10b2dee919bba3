package io.switchboard.nats;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.core.broker.Broker;
import io.switchboard.testkit.NatsServerProcess;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The credentials of {@code nats.*} reach a nats-server that requires them; without them no connection is made. */
class NatsBrokerAuthTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    private NatsServerProcess server;
    private final List<Broker> brokers = new ArrayList<>();

    @AfterEach
    void stopEverything() {
        brokers.forEach(Broker::close);
        if (server != null) {
            server.close();
        }
        assertThat(NatsServerProcess.running()).as("nats-server processes left behind").isZero();
    }

    @Test
    void brokersWithTheServersTokenExchangeMessages() throws Exception {
        server = NatsServerProcess.startedWith("--auth", "s3cret-token-of-the-cluster");
        NatsSettings settings = NatsSettings.defaults(server.url()).toBuilder()
                .token("s3cret-token-of-the-cluster").build();

        assertMessagesFlowBetweenTwoBrokers(settings);
    }

    @Test
    void brokersWithTheServersUserAndPasswordExchangeMessages() throws Exception {
        server = NatsServerProcess.startedWith("--user", "node", "--pass", "node-password");
        NatsSettings settings = NatsSettings.defaults(server.url()).toBuilder()
                .user("node").password("node-password").build();

        assertMessagesFlowBetweenTwoBrokers(settings);
    }

    @Test
    void aBrokerWithoutTheTokenNeverConnects() throws Exception {
        server = NatsServerProcess.startedWith("--auth", "s3cret-token-of-the-cluster");
        NatsBroker broker = broker(NatsSettings.defaults(server.url()).toBuilder().token("wrong-token").build());

        CompletableFuture<Void> start = broker.start(new Inbox()).toCompletableFuture();

        Thread.sleep(1500); // several refused attempts
        assertThat(start).isNotDone();
        assertThat(broker.isConnected()).isFalse();
    }

    private void assertMessagesFlowBetweenTwoBrokers(NatsSettings settings) throws Exception {
        Inbox inbox = new Inbox();
        NatsBroker receiver = broker(settings);
        await(receiver.start(inbox).toCompletableFuture());
        await(receiver.subscribe("room.auth").toCompletableFuture());
        NatsBroker sender = broker(settings);
        await(sender.start(new Inbox()).toCompletableFuture());

        await(sender.publish("room.auth", "hello".getBytes(StandardCharsets.UTF_8)).toCompletableFuture());

        String got = inbox.messages.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(got).isEqualTo("room.auth:hello");
    }

    private NatsBroker broker(NatsSettings settings) {
        NatsBroker broker = new NatsBroker(settings, TIMEOUT);
        brokers.add(broker);
        return broker;
    }

    private static void await(CompletableFuture<?> future) throws Exception {
        future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Records {@code channel:payload} of every message. */
    private static final class Inbox implements Broker.Listener {
        final BlockingQueue<String> messages = new LinkedBlockingQueue<>();

        @Override
        public void onMessage(String channel, byte[] payload) {
            messages.add(channel + ":" + new String(payload, StandardCharsets.UTF_8));
        }

        @Override
        public void onReconnected() {
        }
    }
}
