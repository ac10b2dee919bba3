package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.RedisServerProcess;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two and three nodes over one real redis-server (started by the test on a free port): room members
 * spread over the nodes get every message exactly once in offset order; private messages and presence
 * work across nodes.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RedisClusterTest {
    private static RedisServerProcess redis;
    private ClusterNodes nodes;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServerProcess.start(false);
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @AfterEach
    void stopNodes() {
        if (nodes != null) {
            nodes.close();
        }
    }

    private int[] startNodes(int n) {
        nodes = new ClusterNodes();
        int[] ports = new int[n];
        for (int i = 0; i < n; i++) {
            ports[i] = nodes.start(ClusterNodes.config("n" + (i + 1), ClusterNodes.cluster("redis", 10_000, java.time.Duration.ofSeconds(3)),
                    redis.port(), List.of())).port();
        }
        return ports;
    }


    private static JsonNode join(WsClient c, String room) {
        c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\",\"id\":\"j\"}");
        return c.nextOfType("room_joined");
    }

    @Test
    void membersOnThreeNodesGetEveryMessageOnceInOffsetOrderWhilePublishersOnAllNodesRace() throws Exception {
        int[] ports = startNodes(3);
        String room = "race-" + System.nanoTime();
        List<WsClient> members = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            for (int i = 0; i < 6; i++) {
                WsClient c = WsClient.welcomed(ports[i % 3], "m" + i);
                join(c, room);
                members.add(c);
            }
            int perPublisher = 150;
            List<Future<?>> publishing = new ArrayList<>();
            for (int p = 0; p < 3; p++) {
                WsClient publisher = members.get(p);
                int node = p;
                publishing.add(pool.submit(() -> {
                    for (int i = 0; i < perPublisher; i++) {
                        publisher.send("{\"type\":\"room_message\",\"room\":\"" + room + "\",\"echo\":true,"
                                + "\"content\":\"n" + node + "-" + i + "\"}");
                    }
                }));
            }
            for (Future<?> f : publishing) {
                f.get();
            }
            // Publishes the breaker refused (a loaded machine) got no offset; the room's position says how
            // many did. Every member must hold exactly those, in order.
            long total = nodes.awaitQuietPosition(0, room);
            assertThat(total).as("most publishes went through").isGreaterThan(perPublisher);
            for (WsClient c : members) {
                new Offsets().awaitOffset(c, total, 20_000).assertContiguous(1, total);
            }
            String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://127.0.0.1:" + ports[0] + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).as("broker publish latency recorded")
                    .containsPattern("websocket_broker_publish_duration_seconds_count\\{outcome=\"ok\"\\} [1-9]");
        } finally {
            pool.shutdownNow();
            members.forEach(WsClient::close);
        }
    }

    @Test
    void privateMessagesPresenceAndNoticesCrossNodes() {
        int[] ports = startNodes(2);
        String room = "presence-" + System.nanoTime();
        try (WsClient alice = WsClient.welcomed(ports[0], "alice"); WsClient bob = WsClient.welcomed(ports[1], "bob")) {
            join(alice, room);
            JsonNode joined = join(bob, room);
            assertThat(joined.path("members")).extracting(m -> m.path("userId").asText())
                    .containsExactly("alice", "bob");
            assertThat(alice.nextOfType("user_joined_room").path("userId").asText()).isEqualTo("bob");

            alice.send("{\"type\":\"presence\",\"room\":\"" + room + "\"}");
            assertThat(alice.nextOfType("presence").path("count").asInt()).isEqualTo(2);

            alice.send("{\"type\":\"private_message\",\"to\":\"bob\",\"content\":\"psst\",\"id\":1}");
            alice.nextOfType("ack");
            assertThat(bob.nextOfType("private_message").path("content").asText()).isEqualTo("psst");
            alice.send("{\"type\":\"private_message\",\"to\":\"nobody-" + room + "\",\"id\":2}");
            assertThat(alice.nextOfType("error").path("code").asText()).isEqualTo("user_not_found");

            bob.send("{\"type\":\"broadcast\",\"content\":\"all\"}");
            assertThat(alice.nextOfType("broadcast").path("content").asText()).isEqualTo("all");

            bob.send("{\"type\":\"leave_room\",\"room\":\"" + room + "\"}");
            assertThat(alice.nextOfType("user_left_room").path("userId").asText()).isEqualTo("bob");
        }
    }

    /**
     * {@code security.privateMessages: sharedRoom} across nodes: bob's only connection is on the other node,
     * and what counts is his membership there as the Redis presence store lists it.
     */
    @Test
    void sharedRoomPrivateMessagesReachRoommatesOnOtherNodesOnly() {
        nodes = new ClusterNodes();
        int[] ports = new int[2];
        for (int i = 0; i < 2; i++) {
            var config = ClusterNodes.config("n" + (i + 1), ClusterNodes.cluster("redis", 10_000,
                    java.time.Duration.ofSeconds(3)), redis.port(), List.of());
            config = config.toBuilder().security(config.security().toBuilder().privateMessages("sharedRoom").build())
                    .build();
            ports[i] = nodes.start(config).port();
        }
        String room = "shared-" + System.nanoTime();
        try (WsClient alice = WsClient.welcomed(ports[0], "alice"); WsClient bob = WsClient.welcomed(ports[1], "bob");
             WsClient carol = WsClient.welcomed(ports[1], "carol")) {
            join(alice, room);
            join(bob, room);
            join(carol, room + "-other");

            alice.send("{\"type\":\"private_message\",\"to\":\"bob\",\"content\":\"psst\",\"id\":1}");
            assertThat(alice.nextOfType("ack").path("id").asInt()).isEqualTo(1);
            assertThat(bob.nextOfType("private_message").path("content").asText()).isEqualTo("psst");

            alice.send("{\"type\":\"private_message\",\"to\":\"carol\",\"content\":\"x\",\"id\":2}");
            JsonNode refused = alice.nextOfType("error");
            assertThat(refused.path("code").asText()).isEqualTo("forbidden");
            assertThat(refused.path("error").asText())
                    .isEqualTo("user carol shares no room with this connection (security.privateMessages: sharedRoom)");

            // The leave notice may arrive before bob's presence removal lands in Redis: ask until it has.
            bob.send("{\"type\":\"leave_room\",\"room\":\"" + room + "\"}");
            assertThat(alice.nextOfType("user_left_room").path("userId").asText()).isEqualTo("bob");
            Await.until("bob no longer counts as alice's roommate", () -> {
                alice.send("{\"type\":\"private_message\",\"to\":\"bob\",\"content\":\"x\",\"id\":3}");
                JsonNode r = alice.next();
                return r.path("type").asText().equals("error") && r.path("code").asText().equals("forbidden");
            });
        }
    }

    /**
     * Paging and counts across two nodes over the Redis presence store: members on both nodes appear once each, in
     * member order, and a join lists only the first {@code presence.joinMembersLimit} of them with the full count.
     */
    @Test
    void presencePagesAndCountsSpanBothNodes() {
        nodes = new ClusterNodes();
        int[] ports = new int[2];
        for (int i = 0; i < 2; i++) {
            var config = ClusterNodes.config("n" + (i + 1), ClusterNodes.cluster("redis", 10_000,
                    java.time.Duration.ofSeconds(3)), redis.port(), List.of());
            config = config.toBuilder().presence(io.switchboard.core.config.Presence.builder().joinMembersLimit(3)
                    .build()).build();
            ports[i] = nodes.start(config).port();
        }
        String room = "paging-" + System.nanoTime();
        List<WsClient> members = new ArrayList<>();
        try {
            for (int i = 0; i < 7; i++) {
                WsClient c = WsClient.welcomed(ports[i % 2], "p" + i);
                members.add(c);
                JsonNode joined = join(c, room);
                assertThat(joined.path("count").asInt()).isEqualTo(i + 1);
                assertThat(joined.path("members").size()).isEqualTo(Math.min(i + 1, 3));
                assertThat(joined.path("membersTruncated").asBoolean()).isEqualTo(i + 1 > 3);
            }
            WsClient reader = members.get(1);
            List<String> seen = new ArrayList<>();
            String cursor = null;
            do {
                reader.send("{\"type\":\"presence\",\"room\":\"" + room + "\",\"limit\":2"
                        + (cursor == null ? "" : ",\"cursor\":\"" + cursor + "\"") + "}");
                JsonNode page = reader.nextOfType("presence");
                assertThat(page.path("count").asInt()).isEqualTo(7);
                page.path("members").forEach(m -> seen.add(m.path("userId").asText()));
                cursor = page.has("cursor") ? page.path("cursor").asText() : null;
            } while (cursor != null);
            assertThat(seen).containsExactly("p0", "p1", "p2", "p3", "p4", "p5", "p6");
        } finally {
            members.forEach(WsClient::close);
        }
    }

    /**
     * One idempotency key, two nodes: a client on one publishes, the backend retries the same key through the
     * other node's API. Redis history appends once, both get offset 1, members on both nodes receive it once.
     */
    @Test
    void anIdempotencyKeyPublishesOnceAcrossNodes() throws Exception {
        int[] ports = startNodes(2);
        String room = "idem-" + System.nanoTime();
        try (WsClient alice = WsClient.welcomed(ports[0], "alice"); WsClient bob = WsClient.welcomed(ports[1], "bob")) {
            join(alice, room);
            join(bob, room);
            alice.send("{\"type\":\"room_message\",\"room\":\"" + room + "\",\"content\":\"pay\","
                    + "\"idempotencyKey\":\"order-1\",\"echo\":true,\"id\":1}");
            // The ack and the echo of the message may come in either order.
            boolean acked = false;
            boolean echoed = false;
            while (!acked || !echoed) {
                JsonNode m = alice.next();
                String type = m.path("type").asText();
                if (type.equals("ack") || type.equals("room_message")) {
                    assertThat(m.path("offset").asLong()).as("%s", m).isEqualTo(1);
                    acked |= type.equals("ack");
                    echoed |= type.equals("room_message");
                }
            }
            java.net.http.HttpResponse<String> retried = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + ports[1]
                                    + "/api/publish"))
                            .header("Authorization", "Bearer " + TestServers.API_KEY)
                            .header("Content-Type", "application/json")
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"room\":\"" + room
                                    + "\",\"content\":\"pay\",\"idempotencyKey\":\"order-1\"}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(retried.body()).isEqualTo("{\"offset\":1}");
            alice.send("{\"type\":\"room_message\",\"room\":\"" + room + "\",\"content\":\"after\","
                    + "\"echo\":true,\"id\":2}");
            assertThat(bob.nextOfType("room_message").path("offset").asLong()).isEqualTo(1);
            for (WsClient c : List.of(alice, bob)) {
                JsonNode next = c.nextOfType("room_message");
                assertThat(next.path("content").asText()).as("the retry was not delivered").isEqualTo("after");
                assertThat(next.path("offset").asLong()).isEqualTo(2);
            }
        }
    }
}
