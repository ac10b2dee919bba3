package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.config.Namespace;
import io.switchboard.protocol.ServerMessage.Member;
import io.switchboard.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code namespaces.<name>.delivery: latest}: a member that cannot keep up is not closed and its queue does
 * not grow; once it reads again it gets the room's newest message (offsets show what it skipped), while a
 * member that keeps up gets every message; a joiner gets the newest message right after {@code room_joined}.
 */
class LatestDeliveryTest {
    private static final String ROOM = "tick:btc";
    private static final String PAD = "x".repeat(1000);
    /** About 2 MiB: 32 times what a member's queue may hold before it would be closed with 4008. */
    private static final int MESSAGES = 2000;

    private SwitchboardServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private boolean isMember(String userId) {
        return server.hub().localMembers(ROOM).stream().map(Member::userId).anyMatch(userId::equals);
    }

    private static List<Long> offsets(List<JsonNode> messages) {
        List<Long> out = new ArrayList<>();
        for (JsonNode m : messages) {
            if (m.path("type").asText().equals("room_message")) {
                out.add(m.path("offset").asLong());
            }
        }
        return out;
    }

    @Test
    void aMemberThatFallsBehindSkipsToTheNewestMessageInsteadOfBeingClosedAndAJoinerGetsTheNewest() {
        var ws = TestServers.websocket().toBuilder().readBufferBytes(0).writeBufferBytes(32 * 1024)
                .writeWait(Duration.ofSeconds(60)).maxQueuedBytes(64 * 1024).enableCompression(false).build();
        server = SwitchboardServer.start(TestServers.with(ws).toBuilder().namespaces(Map.of("tick",
                new Namespace(null, null, null, null, null, null, "latest"))).build());
        int port = server.port();
        try (WsClient publisher = WsClient.welcomed(port, "publisher");
             WsClient fast = WsClient.welcomed(port, "fast");
             WsClient slow = WsClient.connectNotReading(port, "slow")) {
            for (WsClient c : List.of(publisher, fast)) {
                c.send("{\"type\":\"join_room\",\"room\":\"" + ROOM + "\"}");
                c.nextOfType("room_joined");
            }
            slow.send("{\"type\":\"join_room\",\"room\":\"" + ROOM + "\"}");
            Await.until("the slow member joined", () -> isMember("slow"));

            for (int i = 1; i <= MESSAGES; i++) {
                publisher.send("{\"type\":\"room_message\",\"room\":\"" + ROOM + "\",\"content\":\"" + i + " " + PAD
                        + "\"}");
                if (i % 50 == 0) {
                    // The fast member keeps pace: every message, in order.
                    for (long expect = i - 49; expect <= i; ) {
                        JsonNode m = fast.next();
                        if (m.path("type").asText().equals("room_message")) {
                            assertThat(m.path("offset").asLong()).isEqualTo(expect++);
                        }
                    }
                }
            }
            assertThat(isMember("slow")).as("the slow member is kept").isTrue();

            slow.resumeReading();
            List<JsonNode> seen = new ArrayList<>();
            Await.until("the slow member reached the newest message", () -> {
                seen.addAll(slow.drain());
                List<Long> o = offsets(seen);
                return !o.isEmpty() && o.get(o.size() - 1) == MESSAGES;
            });
            List<Long> o = offsets(seen);
            assertThat(o).as("increasing").isSorted().doesNotHaveDuplicates();
            assertThat(o.size()).as("it skipped what it could not take").isLessThan(MESSAGES);
            assertThat(slow.closeCode).as("never closed").isNotDone();

            try (WsClient late = WsClient.welcomed(port, "late")) {
                late.send("{\"type\":\"join_room\",\"room\":\"" + ROOM + "\"}");
                JsonNode joined = late.next("room_joined");
                assertThat(joined.path("offset").asLong()).isEqualTo(MESSAGES);
                JsonNode newest = late.next("room_message");
                assertThat(newest.path("offset").asLong()).isEqualTo(MESSAGES);
                assertThat(newest.path("content").asText()).startsWith(MESSAGES + " ");
            }
        }
    }
}
