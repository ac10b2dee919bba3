package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.config.History;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md section 3, recovery: {@code join_room} with {@code since} replays what is still in
 * history, in order and before newer live messages, then answers {@code recovered:true}; otherwise it
 * replays nothing and answers {@code recovered:false}.
 */
class RecoveryTest {
    private SwitchboardServer server;
    private int port;

    private void start(History history) {
        server = SwitchboardServer.start(TestServers.with(history));
        port = server.port();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static JsonNode join(WsClient c, String room) {
        c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\"}");
        return c.next("room_joined");
    }

    private static void publish(WsClient c, String room, int n) {
        c.send("{\"type\":\"room_message\",\"room\":\"" + room + "\",\"content\":\"m" + n + "\",\"id\":" + n + "}");
        assertThat(c.next("ack").path("offset").asLong()).isEqualTo(n);
    }

    private static void joinSince(WsClient c, String room, long offset, String epoch) {
        c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\",\"id\":\"rj\",\"since\":{\"offset\":" + offset
                + ",\"epoch\":\"" + epoch + "\"}}");
    }

    @Test
    void joinWithSinceInsideTheWindowReplaysInOrderThenRecoveredThenLiveWithoutDuplicates() {
        start(History.defaults());
        try (WsClient alice = WsClient.welcomed(port, "alice"); WsClient bob = WsClient.welcomed(port, "bob")) {
            String epoch = join(alice, "r").path("epoch").asText();
            for (int i = 1; i <= 5; i++) {
                publish(alice, "r", i);
            }

            joinSince(bob, "r", 2, epoch);
            for (int i = 3; i <= 5; i++) {
                JsonNode m = bob.next("room_message");
                assertThat(m.path("offset").asLong()).isEqualTo(i);
                assertThat(m.path("content").asText()).isEqualTo("m" + i);
                assertThat(m.path("from").asText()).isEqualTo("alice");
            }
            JsonNode joined = bob.next("room_joined");
            assertThat(joined.path("id").asText()).isEqualTo("rj");
            assertThat(joined.path("recovered").asBoolean()).isTrue();
            assertThat(joined.path("offset").asLong()).isEqualTo(5);
            assertThat(joined.path("epoch").asText()).isEqualTo(epoch);

            alice.next("user_joined_room");
            publish(alice, "r", 6);
            assertThat(bob.next("room_message").path("offset").asLong()).isEqualTo(6);
            bob.assertNoMessage(200);
        }
    }

    @Test
    void joinWithSinceAtTheNewestOffsetRecoversWithNothingToReplay() {
        start(History.defaults());
        try (WsClient alice = WsClient.welcomed(port, "alice"); WsClient bob = WsClient.welcomed(port, "bob")) {
            String epoch = join(alice, "r").path("epoch").asText();
            publish(alice, "r", 1);
            joinSince(bob, "r", 1, epoch);
            JsonNode joined = bob.next("room_joined");
            assertThat(joined.path("recovered").asBoolean()).isTrue();
            assertThat(joined.path("offset").asLong()).isEqualTo(1);
        }
    }

    @Test
    void recoveryUnderConcurrentPublishingYieldsEveryOffsetExactlyOnceAndInOrder() throws Exception {
        // A window that holds everything the unthrottled publisher can send here, so the join must recover.
        start(History.builder().size(1_000_000).ttl(Duration.ofMinutes(5)).build());
        try (WsClient alice = WsClient.welcomed(port, "alice"); WsClient bob = WsClient.welcomed(port, "bob")) {
            String epoch = join(alice, "r").path("epoch").asText();
            for (int i = 1; i <= 10; i++) {
                publish(alice, "r", i);
            }
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong published = new AtomicLong(10);
            Thread publisher = new Thread(() -> {
                while (!stop.get()) {
                    alice.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"live\"}");
                    published.incrementAndGet();
                }
            }, "publisher");
            publisher.start();
            Thread.sleep(50);
            joinSince(bob, "r", 4, epoch);
            Thread.sleep(200);
            stop.set(true);
            publisher.join(5000);
            long last = published.get();

            List<Long> before = new ArrayList<>();
            List<Long> after = new ArrayList<>();
            JsonNode joined = null;
            long seen = 4;
            while (seen < last) {
                JsonNode m = bob.next();
                String type = m.path("type").asText();
                if (type.equals("room_joined")) {
                    joined = m;
                } else if (type.equals("room_message")) {
                    seen = m.path("offset").asLong();
                    (joined == null ? before : after).add(seen);
                }
            }
            assertThat(joined).as("room_joined").isNotNull();
            assertThat(joined.path("recovered").asBoolean()).isTrue();
            long joinedAt = joined.path("offset").asLong();
            List<Long> all = new ArrayList<>(before);
            all.addAll(after);
            assertThat(all).as("offsets 5..%d, each once, in order", last)
                    .containsExactlyElementsOf(range(5, last));
            assertThat(before).as("replayed before room_joined").allMatch(o -> o <= joinedAt);
            assertThat(after).as("live after room_joined").allMatch(o -> o > joinedAt);
            bob.assertNoMessage(200);
        }
    }

    private static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(i);
        }
        return out;
    }

    @Test
    void sinceOlderThanTheRetainedHistoryAnswersNotRecoveredWithoutReplay() {
        start(History.builder().size(3).ttl(Duration.ofMinutes(5)).build());
        try (WsClient alice = WsClient.welcomed(port, "alice"); WsClient bob = WsClient.welcomed(port, "bob")) {
            String epoch = join(alice, "r").path("epoch").asText();
            for (int i = 1; i <= 6; i++) {
                publish(alice, "r", i);
            }
            joinSince(bob, "r", 1, epoch);
            JsonNode joined = bob.next();
            assertThat(joined.path("type").asText()).as("no replay before %s", joined).isEqualTo("room_joined");
            assertThat(joined.path("recovered").asBoolean()).isFalse();
            assertThat(joined.path("offset").asLong()).isEqualTo(6);
            assertThat(joined.path("epoch").asText()).isEqualTo(epoch);
            bob.assertNoMessage(200);
        }
    }

    @Test
    void sinceJustInsideASmallHistoryStillRecovers() {
        start(History.builder().size(3).ttl(Duration.ofMinutes(5)).build());
        try (WsClient alice = WsClient.welcomed(port, "alice"); WsClient bob = WsClient.welcomed(port, "bob")) {
            String epoch = join(alice, "r").path("epoch").asText();
            for (int i = 1; i <= 6; i++) {
                publish(alice, "r", i);
            }
            joinSince(bob, "r", 3, epoch);
            assertThat(bob.next("room_message").path("offset").asLong()).isEqualTo(4);
            assertThat(bob.next("room_message").path("offset").asLong()).isEqualTo(5);
            assertThat(bob.next("room_message").path("offset").asLong()).isEqualTo(6);
            assertThat(bob.next("room_joined").path("recovered").asBoolean()).isTrue();
        }
    }

    @Test
    void aDifferentEpochAnswersNotRecoveredWithoutReplay() {
        start(History.defaults());
        try (WsClient alice = WsClient.welcomed(port, "alice"); WsClient bob = WsClient.welcomed(port, "bob")) {
            String epoch = join(alice, "r").path("epoch").asText();
            publish(alice, "r", 1);
            publish(alice, "r", 2);
            joinSince(bob, "r", 1, "not-" + epoch);
            JsonNode joined = bob.next();
            assertThat(joined.path("type").asText()).as("no replay before %s", joined).isEqualTo("room_joined");
            assertThat(joined.path("recovered").asBoolean()).isFalse();
            assertThat(joined.path("epoch").asText()).isEqualTo(epoch);
            assertThat(joined.path("offset").asLong()).isEqualTo(2);
        }
    }

    @Test
    void anOffsetAheadOfTheRoomAnswersNotRecovered() {
        start(History.defaults());
        try (WsClient alice = WsClient.welcomed(port, "alice"); WsClient bob = WsClient.welcomed(port, "bob")) {
            String epoch = join(alice, "r").path("epoch").asText();
            publish(alice, "r", 1);
            joinSince(bob, "r", 9, epoch);
            JsonNode joined = bob.next("room_joined");
            assertThat(joined.path("recovered").asBoolean()).isFalse();
            assertThat(joined.path("offset").asLong()).isEqualTo(1);
        }
    }

    @Test
    void historyOlderThanTheTtlIsGoneAndAnswersNotRecovered() throws Exception {
        Duration ttl = Duration.ofMillis(300);
        start(History.builder().size(100).ttl(ttl).build());
        try (WsClient alice = WsClient.welcomed(port, "alice"); WsClient bob = WsClient.welcomed(port, "bob")) {
            String epoch = join(alice, "r").path("epoch").asText();
            publish(alice, "r", 1);
            publish(alice, "r", 2);
            publish(alice, "r", 3);
            Thread.sleep(ttl.toMillis() + 200);
            joinSince(bob, "r", 1, epoch);
            JsonNode joined = bob.next();
            assertThat(joined.path("type").asText()).as("no replay before %s", joined).isEqualTo("room_joined");
            assertThat(joined.path("recovered").asBoolean()).isFalse();
            assertThat(joined.path("offset").asLong()).isEqualTo(3);

            bob.send("{\"type\":\"history\",\"room\":\"r\"}");
            assertThat(bob.next("history").path("messages")).isEmpty();
        }
    }
}
