package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.config.WebSocket;
import io.switchboard.protocol.ServerMessage.Member;
import io.switchboard.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Bounded outbound queues (issue 2, item 10): a member that does not read is closed with 4008 and
 * removed from its rooms, by queue overflow ({@code websocket.maxQueuedBytes}) or by a write backlog
 * older than {@code websocket.writeWait}; the healthy members of the same room keep their full stream.
 */
class SlowConsumerTest {
    private static final String ROOM = "feed";
    /** About 1 KiB per message on the wire. */
    private static final String PAD = "x".repeat(1000);
    /** Upper bound on what a test publishes while waiting for the slow member to be dropped (~20 MiB). */
    private static final int MAX_MESSAGES = 20_000;
    /** Messages published between checks; well under the queue caps. */
    private static final int BURST = 16;
    /** A small kernel send buffer per socket, so the server's own queue fills after little data. */
    private static final int SOCKET_SEND_BUFFER = 32 * 1024;

    private SwitchboardServer server;
    private int port;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private void start(int maxQueuedBytes, Duration writeWait) {
        var d = TestServers.websocket();
        server = SwitchboardServer.start(TestServers.with(d.toBuilder().readBufferBytes(0)
                .writeBufferBytes(SOCKET_SEND_BUFFER).writeWait(writeWait).maxQueuedBytes(maxQueuedBytes)
                .enableCompression(false).build()));
        port = server.port();
    }

    private static void join(WsClient c) {
        c.send("{\"type\":\"join_room\",\"room\":\"" + ROOM + "\"}");
        c.next("room_joined");
    }

    private boolean isMember(String userId) {
        return server.hub().localMembers(ROOM).stream().map(Member::userId).anyMatch(userId::equals);
    }

    /**
     * Publishes ~1 KiB messages in bursts until {@code slow} is no longer a member, then one more burst;
     * returns how many were published. After each burst every healthy member must have received it, in
     * order, before the next: the healthy members keep pace by construction, so only the one that does
     * not read can fall behind.
     */
    private int publishUntilDropped(WsClient publisher, String slow, List<WsClient> healthy,
                                    List<JsonNode> notices) {
        int n = 0;
        boolean dropped = false;
        while (!dropped) {
            dropped = !isMember(slow);
            assertThat(n).as("published before the slow member was dropped").isLessThan(MAX_MESSAGES);
            for (int i = 0; i < BURST; i++) {
                publish(publisher, ++n);
            }
            for (WsClient member : healthy) {
                readStream(member, n - BURST + 1, n, notices);
            }
        }
        return n;
    }

    private static void publish(WsClient publisher, int n) {
        publisher.send("{\"type\":\"room_message\",\"room\":\"" + ROOM + "\",\"content\":\"" + n + " " + PAD + "\"}");
    }

    /** Messages {@code from..to}, in order, each once, with their content; other messages go to {@code notices}. */
    private static void readStream(WsClient member, int from, int to, List<JsonNode> notices) {
        for (int i = from; i <= to; ) {
            JsonNode m = member.next();
            if (!m.path("type").asText().equals("room_message")) {
                notices.add(m);
                continue;
            }
            assertThat(m.path("offset").asLong()).isEqualTo(i);
            assertThat(m.path("content").asText()).startsWith(i + " ");
            i++;
        }
    }

    /** After reading again, the slow member sees a gap-free prefix of the stream, then close 4008. */
    private static int assertPrefixThenClose(WsClient slow, String reason) {
        slow.resumeReading();
        assertThat(slow.awaitClose()).as("close code seen by the slow member").isEqualTo(4008);
        assertThat(slow.closeReason.getNow(null)).isEqualTo(reason);
        List<Long> offsets = new ArrayList<>();
        for (JsonNode m : slow.drain()) {
            if (m.path("type").asText().equals("room_message")) {
                offsets.add(m.path("offset").asLong());
            }
        }
        for (int i = 0; i < offsets.size(); i++) {
            assertThat(offsets.get(i)).as("offset #%d seen by the slow member", i).isEqualTo(i + 1);
        }
        return offsets.size();
    }

    @Test
    void aMemberThatDoesNotReadIsClosedWith4008OnQueueOverflowWhileHealthyMembersGetEveryMessage() {
        start(64 * 1024, Duration.ofSeconds(10));
        try (WsClient publisher = WsClient.welcomed(port, "publisher");
             WsClient h1 = WsClient.welcomed(port, "healthy1");
             WsClient h2 = WsClient.welcomed(port, "healthy2");
             WsClient slow = WsClient.connectNotReading(port, "slow")) {
            join(publisher);
            join(h1);
            join(h2);
            slow.send("{\"type\":\"join_room\",\"room\":\"" + ROOM + "\"}");
            Await.until("the slow member joined", () -> isMember("slow"));

            List<JsonNode> notices = new ArrayList<>();
            int published = publishUntilDropped(publisher, "slow", List.of(h1, h2), notices);
            int seenBySlow = assertPrefixThenClose(slow, "send queue overflowed");
            assertThat(seenBySlow).isLessThan(published);
            assertThat(h1.closeCode).isNotDone();
            assertThat(h2.closeCode).isNotDone();

            assertThat(notices.stream().filter(m -> m.path("type").asText().equals("user_left_room"))
                    .map(m -> m.path("userId").asText())).containsExactly("slow", "slow");
            h1.send("{\"type\":\"presence\",\"room\":\"" + ROOM + "\"}");
            assertThat(h1.nextOfType("presence").path("members").findValuesAsText("userId"))
                    .containsExactly("healthy1", "healthy2", "publisher");
        }
        Await.until("every connection is unregistered", () -> server.hub().connectionCount() == 0);
    }

    @Test
    void aMemberWhoseWritesStayBackloggedForWriteWaitIsClosedWith4008BeforeItsQueueOverflows() {
        start(64 * 1024 * 1024, Duration.ofMillis(300));
        try (WsClient publisher = WsClient.welcomed(port, "publisher");
             WsClient healthy = WsClient.welcomed(port, "healthy");
             WsClient slow = WsClient.connectNotReading(port, "slow")) {
            join(publisher);
            join(healthy);
            slow.send("{\"type\":\"join_room\",\"room\":\"" + ROOM + "\"}");
            Await.until("the slow member joined", () -> isMember("slow"));

            publishUntilDropped(publisher, "slow", List.of(healthy), new ArrayList<>());
            assertPrefixThenClose(slow, "write wait exceeded");
            assertThat(healthy.closeCode).isNotDone();
        }
    }

    @Test
    void aMemberThatReadsSlowlyButKeepsUpIsNotClosed() throws Exception {
        start(64 * 1024, Duration.ofMillis(300));
        try (WsClient publisher = WsClient.welcomed(port, "publisher");
             WsClient member = WsClient.welcomed(port, "member")) {
            join(publisher);
            join(member);
            for (int i = 1; i <= 50; i++) {
                publish(publisher, i);
                Thread.sleep(20);
            }
            readStream(member, 1, 50, new ArrayList<>());
            assertThat(member.closeCode).isNotDone();
            assertThat(isMember("member")).isTrue();
        }
    }
}
