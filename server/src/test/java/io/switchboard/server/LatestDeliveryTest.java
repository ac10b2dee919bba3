package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.config.Namespace;
import io.switchboard.protocol.ServerMessage.Member;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.RawPeer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
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

    /**
     * A member that keeps reading, only slower than the room publishes, stays backlogged for as long as it lags:
     * longer than {@code websocket.writeWait}, which cuts readers that take nothing, not slow ones.
     */
    @Test
    void aMemberThatReadsSlowerThanTheRoomPublishesIsKeptPastWriteWaitAndEndsAtTheNewest() throws Exception {
        var ws = TestServers.websocket().toBuilder().readBufferBytes(0).writeBufferBytes(4 * 1024)
                .writeWait(Duration.ofSeconds(2)).maxQueuedBytes(256 * 1024).enableCompression(false).build();
        server = SwitchboardServer.start(TestServers.with(ws).toBuilder().namespaces(Map.of("tick",
                new Namespace(null, null, null, null, null, null, "latest"))).build());
        int port = server.port();
        int messages = 8000;
        // A raw peer with a small receive buffer: what it does not read backs up in the server, not in a client.
        try (WsClient publisher = WsClient.welcomed(port, "publisher");
             RawPeer slow = RawPeer.open("127.0.0.1", port, 8 * 1024)
                     .upgraded(port, "/ws?id=slow", Map.of("Sec-WebSocket-Key", RawPeer.DEFAULT_KEY))) {
            publisher.send("{\"type\":\"join_room\",\"room\":\"" + ROOM + "\"}");
            publisher.nextOfType("room_joined");
            slow.sendText("{\"type\":\"join_room\",\"room\":\"" + ROOM + "\"}");
            Await.until("the slow member joined", () -> isMember("slow"));

            // It takes about 10 messages of 1 KiB a second; the room publishes 1,000 a second for eight seconds, so
            // the member lags all along. Once backlogged, the 64 KiB between the high- and low-water marks of its
            // 256 KiB cap take it about 6 s to read, three times writeWait; the small socket send buffer lets its
            // progress show to the server every few hundred milliseconds.
            AtomicBoolean fast = new AtomicBoolean();
            List<Long> offsets = Collections.synchronizedList(new ArrayList<>());
            AtomicReference<String> closed = new AtomicReference<>();
            CompletableFuture<Void> reading = CompletableFuture.runAsync(() -> {
                slow.timeout(Duration.ofSeconds(30));
                while (offsets.isEmpty() || offsets.get(offsets.size() - 1) < messages) {
                    RawPeer.Frame f = slow.readFrame();
                    if (f == null || f.opcode() == RawPeer.CLOSE) {
                        closed.set(f == null ? "end of stream" : f.closeCode() + " " + f.closeReason());
                        return;
                    }
                    if (f.opcode() == RawPeer.TEXT && f.text().contains("\"room_message\"")) {
                        offsets.add(Long.parseLong(f.text().replaceAll(".*\"offset\":(\\d+).*", "$1")));
                        if (!fast.get()) {
                            LockSupport.parkNanos(100_000_000);
                        }
                    }
                }
            });
            long start = System.nanoTime();
            for (int i = 1; i <= messages; i++) {
                publisher.send("{\"type\":\"room_message\",\"room\":\"" + ROOM + "\",\"content\":\"" + i + " " + PAD
                        + "\"}");
                long wait = start + i * 1_000_000L - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
            fast.set(true);
            reading.get(60, TimeUnit.SECONDS);
            assertThat(closed.get()).as("a slow reader is not closed for being slow").isNull();
            assertThat(offsets).as("increasing").isSorted().doesNotHaveDuplicates().endsWith((long) messages);
            assertThat(offsets.size()).as("it skipped what it could not take").isLessThan(messages);
        }
    }
}
