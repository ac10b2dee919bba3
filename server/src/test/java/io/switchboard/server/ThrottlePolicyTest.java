package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.config.Hub;
import io.switchboard.protocol.ServerMessage.Member;
import io.switchboard.testkit.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code hub.overloadPolicy: throttle}: a member that cannot keep up slows the room's publishers down
 * instead of being closed with 4008. The publisher's reads pause (its messages wait in its own socket),
 * the API answers 503 with a retry hint, and once the member reads again it gets every message, in order,
 * and the publisher goes on.
 */
class ThrottlePolicyTest {
    private static final String ROOM = "feed";
    private static final String PAD = "x".repeat(1000);
    /**
     * At most about 64 MiB. The publisher sends until it is seen paused; how much the kernel's socket buffers
     * absorb first differs between machines, so the count is what was sent, not a fixed number.
     */
    private static final int MAX_MESSAGES = 64_000;

    private SwitchboardServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** Whether the publisher stays paused over ten checks 20 ms apart (its rechecks run every 5 ms). */
    private boolean pausedThroughout() {
        for (int i = 0; i < 10; i++) {
            if (server.hub().pausedPublishers() != 1) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        return true;
    }

    private boolean isMember(String userId) {
        return server.hub().localMembers(ROOM).stream().map(Member::userId).anyMatch(userId::equals);
    }

    @Test
    void aMemberThatFallsBehindPausesThePublisherInsteadOfBeingClosedAndThenGetsEveryMessage() throws Exception {
        // The default cap (1 MiB, so a high-water mark of 256 KiB): the throttle pauses the publisher at the mark, and
        // what it had already sent, fanned out on the member's loop meanwhile, fills the room left below the cap.
        // With a cap of 64 KiB (mark 32 KiB) that room held about 30 messages and a busy machine overran it.
        var ws = TestServers.websocket().toBuilder().readBufferBytes(0).writeBufferBytes(32 * 1024)
                .writeWait(Duration.ofSeconds(60)).maxQueuedBytes(1024 * 1024).enableCompression(false).build();
        var config = TestServers.with(ws);
        server = SwitchboardServer.start(config.toBuilder()
                .hub(config.hub().toBuilder().overloadPolicy(Hub.OVERLOAD_THROTTLE).build()).build());
        int port = server.port();
        try (WsClient publisher = WsClient.welcomed(port, "publisher");
             WsClient slow = WsClient.connectNotReading(port, "slow")) {
            publisher.send("{\"type\":\"join_room\",\"room\":\"" + ROOM + "\"}");
            publisher.next("room_joined");
            slow.send("{\"type\":\"join_room\",\"room\":\"" + ROOM + "\"}");
            Await.until("the slow member joined", () -> isMember("slow"));

            // Sends block once the server stops reading the publisher: they run on their own thread, until told.
            AtomicBoolean enough = new AtomicBoolean();
            AtomicInteger sent = new AtomicInteger();
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                for (int i = 1; i <= MAX_MESSAGES && !enough.get(); i++) {
                    publisher.send("{\"type\":\"room_message\",\"room\":\"" + ROOM + "\",\"content\":\"" + i + " "
                            + PAD + "\"}");
                    sent.set(i);
                }
            });
            // A busy event loop can pause the publisher for a moment too; the slow member's backlog keeps it paused.
            Await.until("the publisher stays paused behind the slow member", Duration.ofSeconds(30),
                    () -> server.hub().pausedPublishers() == 1 && pausedThroughout());
            enough.set(true);
            assertThat(isMember("slow")).as("the slow member is kept").isTrue();

            HttpResponse<String> refused = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/api/publish"))
                    .header("Authorization", "Bearer " + TestServers.API_KEY)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"room\":\"" + ROOM + "\",\"content\":\"api\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(WsClient.JSON.readTree(refused.body()).path("error").asText()).isEqualTo("unavailable");

            slow.resumeReading();
            sending.get(30, TimeUnit.SECONDS);
            int messages = sent.get();
            assertThat(messages).as("messages sent before the publisher was paused").isLessThan(MAX_MESSAGES);
            for (int i = 1; i <= messages; ) {
                JsonNode m = slow.next();
                if (!m.path("type").asText().equals("room_message")) {
                    continue;
                }
                assertThat(m.path("offset").asLong()).as("offset of message %d", i).isEqualTo(i);
                assertThat(m.path("content").asText()).startsWith(i + " ");
                i++;
            }
            assertThat(slow.closeCode).as("the slow member was never closed").isNotDone();
            Await.until("the publisher reads again", () -> server.hub().pausedPublishers() == 0);
            publisher.send("{\"type\":\"room_message\",\"room\":\"" + ROOM + "\",\"content\":\"last\",\"id\":7}");
            assertThat(publisher.nextOfType("ack").path("id").asInt()).isEqualTo(7);
        }
    }
}
