package io.switchboard.core.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Broker} must do, run against each implementation: two nodes (two broker instances
 * over one backend) exchange messages on subscribed channels, in order, byte for byte, and only there.
 */
public abstract class BrokerContract {
    /** How long a test waits for a message that must arrive. */
    protected static final Duration ARRIVAL = Duration.ofSeconds(10);

    /** A new broker instance over the shared backend: one node. Not started. */
    protected abstract Broker newBroker() throws Exception;

    protected Broker a;
    protected Broker b;
    protected final Inbox inboxA = new Inbox();
    protected final Inbox inboxB = new Inbox();
    /** Unique per test so that tests sharing a backend never see each other's traffic. */
    protected final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + ".";

    @BeforeEach
    void startNodes() throws Exception {
        a = newBroker();
        b = newBroker();
        a.start(inboxA).toCompletableFuture().get(10, TimeUnit.SECONDS);
        b.start(inboxB).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void closeNodes() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    @Test
    void deliversToASubscribedNodeByteForByte() throws Exception {
        String channel = prefix + "room.chat:general/x@y-z_1";
        await(b.subscribe(channel));
        byte[] payload = new byte[256];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) i;
        }
        await(a.publish(channel, payload));
        Received r = inboxB.next();
        assertThat(r.channel).isEqualTo(channel);
        assertThat(r.payload).isEqualTo(payload);
        assertThat(a.isConnected()).isTrue();
        assertThat(a.describe()).isNotBlank();
    }

    @Test
    void keepsOnePublishersOrderOnAChannel() throws Exception {
        String channel = prefix + "room.ordered";
        await(b.subscribe(channel));
        int n = 2000;
        for (int i = 0; i < n; i++) {
            a.publish(channel, Integer.toString(i).getBytes(StandardCharsets.US_ASCII));
        }
        List<Integer> got = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            got.add(Integer.parseInt(inboxB.next().text()));
        }
        for (int i = 0; i < n; i++) {
            assertThat(got.get(i)).as("message %d", i).isEqualTo(i);
        }
    }

    @Test
    void deliversOnlyTheChannelsANodeSubscribedTo() throws Exception {
        String wanted = prefix + "room.wanted";
        String other = prefix + "room.other";
        await(b.subscribe(wanted));
        await(a.publish(other, bytes("not for b")));
        await(a.publish(wanted, bytes("for b")));
        Received r = inboxB.next();
        assertThat(r.channel).isEqualTo(wanted);
        assertThat(r.text()).isEqualTo("for b");
        assertThat(inboxB.poll(Duration.ofMillis(200))).isNull();
    }

    @Test
    void stopsDeliveringAfterUnsubscribe() throws Exception {
        String gone = prefix + "room.gone";
        String marker = prefix + "room.marker";
        await(b.subscribe(gone));
        await(b.subscribe(marker));
        await(a.publish(gone, bytes("before")));
        assertThat(inboxB.next().text()).isEqualTo("before");
        await(b.unsubscribe(gone));
        // The broker may still deliver for a short while after an unsubscribe; give it that while.
        Thread.sleep(200);
        inboxB.drain();
        await(a.publish(gone, bytes("after")));
        await(a.publish(marker, bytes("marker")));
        Received r = inboxB.next();
        assertThat(r.channel).isEqualTo(marker);
        assertThat(inboxB.poll(Duration.ofMillis(200))).isNull();
    }

    @Test
    void deliversToEveryNodeSubscribedToAChannel() throws Exception {
        Broker c = newBroker();
        Inbox inboxC = new Inbox();
        try {
            await(c.start(inboxC));
            String channel = prefix + "broadcast";
            await(b.subscribe(channel));
            await(c.subscribe(channel));
            await(a.publish(channel, bytes("to all")));
            assertThat(inboxB.next().text()).isEqualTo("to all");
            assertThat(inboxC.next().text()).isEqualTo("to all");
        } finally {
            c.close();
        }
    }

    @Test
    void publishingWithoutSubscribersSucceeds() throws Exception {
        await(a.publish(prefix + "room.empty", bytes("nobody")));
        assertThat(inboxB.poll(Duration.ofMillis(100))).isNull();
    }

    @Test
    void closeIsIdempotent() {
        a.close();
        a.close();
        assertThat(b.isConnected()).isTrue();
    }

    protected static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    protected static void await(java.util.concurrent.CompletionStage<?> stage) throws Exception {
        stage.toCompletableFuture().get(ARRIVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One received message. */
    protected record Received(String channel, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    /** A listener that queues what it receives and counts reconnects. */
    protected static final class Inbox implements Broker.Listener {
        private final BlockingQueue<Received> queue = new LinkedBlockingQueue<>();
        public final java.util.concurrent.atomic.AtomicInteger reconnects =
                new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void onMessage(String channel, byte[] payload) {
            queue.add(new Received(channel, payload));
        }

        @Override
        public void onReconnected() {
            reconnects.incrementAndGet();
        }

        public Received next() throws InterruptedException {
            Received r = queue.poll(ARRIVAL.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(r).as("a message within %s", ARRIVAL).isNotNull();
            return r;
        }

        public Received poll(Duration wait) throws InterruptedException {
            return queue.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        }

        public void drain() {
            queue.clear();
        }
    }
}
