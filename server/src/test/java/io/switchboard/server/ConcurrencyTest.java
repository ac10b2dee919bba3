package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many clients publishing at once (issue 2, "How it is checked"): every member receives every message
 * of its room exactly once, in offset order, and what it receives matches what the publishers were
 * acked.
 */
class ConcurrencyTest {
    private static final int ROOMS = 10;
    private static final int MEMBERS_PER_ROOM = 20;
    private static final int CLIENTS = ROOMS * MEMBERS_PER_ROOM;
    /** Messages each client publishes, one every {@link #PERIOD_MILLIS}: about 3 s of publishing. */
    private static final int MESSAGES_EACH = 10;
    private static final long PERIOD_MILLIS = 300;
    /** Bound on receiving everything once publishing ended. */
    private static final long RECEIVE_SECONDS = 60;
    private static final int PER_ROOM = MEMBERS_PER_ROOM * MESSAGES_EACH;

    private SwitchboardServer server;
    private int port;
    private final List<WsClient> clients = new ArrayList<>();

    @BeforeEach
    void start() {
        server = SwitchboardServer.start(TestServers.config());
        port = server.port();
    }

    @AfterEach
    void stop() {
        clients.forEach(WsClient::close);
        server.close();
    }

    private static String room(int client) {
        return "room" + (client % ROOMS);
    }

    @Test
    @Timeout(150)
    void everyMemberReceivesEveryMessageOfItsRoomExactlyOnceInOffsetOrder() throws Exception {
        for (int i = 0; i < CLIENTS; i++) {
            WsClient c = WsClient.welcomed(port, "u" + i);
            clients.add(c);
            c.send("{\"type\":\"join_room\",\"room\":\"" + room(i) + "\"}");
        }
        for (int r = 0; r < ROOMS; r++) {
            String room = "room" + r;
            Await.until("all members in " + room, Duration.ofSeconds(10),
                    () -> server.hub().localMembers(room).size() == MEMBERS_PER_ROOM);
        }

        // Every client publishes MESSAGES_EACH messages, all clients at once, from a few threads.
        ScheduledExecutorService publishers = Executors.newScheduledThreadPool(8);
        CountDownLatch allSent = new CountDownLatch(CLIENTS);
        Random seeded = new Random(42);
        List<ScheduledFuture<?>> tasks = new ArrayList<>();
        try {
            for (int i = 0; i < CLIENTS; i++) {
                WsClient c = clients.get(i);
                String room = room(i);
                String user = "u" + i;
                AtomicInteger sent = new AtomicInteger();
                tasks.add(publishers.scheduleAtFixedRate(() -> {
                    int k = sent.incrementAndGet();
                    if (k > MESSAGES_EACH) {
                        return;
                    }
                    c.send("{\"type\":\"room_message\",\"room\":\"" + room + "\",\"echo\":true,\"id\":" + k
                            + ",\"content\":\"" + user + "/" + k + "\"}");
                    if (k == MESSAGES_EACH) {
                        allSent.countDown();
                    }
                }, seeded.nextInt((int) PERIOD_MILLIS), PERIOD_MILLIS, TimeUnit.MILLISECONDS));
            }
            assertThat(allSent.await(30, TimeUnit.SECONDS)).as("all messages sent").isTrue();
        } finally {
            tasks.forEach(t -> t.cancel(false));
            publishers.shutdownNow();
        }

        // What each publisher was acked: room -> offset -> content.
        List<Map<Long, String>> ackedByRoom = new ArrayList<>();
        for (int r = 0; r < ROOMS; r++) {
            ackedByRoom.add(new HashMap<>());
        }
        List<List<String>> streams = new ArrayList<>();
        // Generous: on a shared, loaded machine delivery to 200 JDK clients can trail publishing by many seconds.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RECEIVE_SECONDS);
        for (int i = 0; i < CLIENTS; i++) {
            WsClient c = clients.get(i);
            List<String> stream = new ArrayList<>();
            int acks = 0;
            while (stream.size() < PER_ROOM || acks < MESSAGES_EACH) {
                JsonNode m = c.messages.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                assertThat(m).as("u%d (%s) after %d messages and %d acks; room offset %d, dropped %d, sent %d", i,
                        room(i), stream.size(), acks, server.hub().roomInfo(room(i)).toCompletableFuture().join().offset(),
                        server.hub().stats().deliveriesDropped(), server.hub().stats().messagesSent())
                        .isNotNull();
                switch (m.path("type").asText()) {
                    case "room_message" -> {
                        assertThat(m.path("room").asText()).isEqualTo(room(i));
                        assertThat(m.path("offset").asLong()).as("offset of message #%d seen by u%d",
                                stream.size() + 1, i).isEqualTo(stream.size() + 1);
                        stream.add(m.path("content").asText());
                    }
                    case "ack" -> {
                        acks++;
                        String previous = ackedByRoom.get(i % ROOMS).put(m.path("offset").asLong(),
                                "u" + i + "/" + m.path("id").asInt());
                        assertThat(previous).as("offset %s acked twice", m.path("offset")).isNull();
                    }
                    case "room_joined", "user_joined_room" -> {
                        // its own join, and members who joined after it
                    }
                    default -> throw new AssertionError("unexpected message " + m);
                }
            }
            c.assertNoMessage(0);
            streams.add(stream);
        }
        for (int i = 0; i < CLIENTS; i++) {
            Map<Long, String> acked = ackedByRoom.get(i % ROOMS);
            assertThat(acked).as("acks of %s", room(i)).hasSize(PER_ROOM);
            List<String> stream = streams.get(i);
            for (int o = 1; o <= PER_ROOM; o++) {
                assertThat(stream.get(o - 1)).as("offset %d of %s seen by u%d", o, room(i), i)
                        .isEqualTo(acked.get((long) o));
            }
        }
        clients.get(0).assertNoMessage(200);
        for (WsClient c : clients) {
            assertThat(c.messages).as("nothing after the full stream").isEmpty();
        }
    }
}
