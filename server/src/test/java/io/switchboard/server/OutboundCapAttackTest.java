package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.core.config.WebSocket;
import io.switchboard.core.hub.Connection;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.server.websocket.NettySession;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.RawPeer;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Every byte written to a connection counts against {@code websocket.maxQueuedBytes}, replies as much as
 * fan-out: a client that asks for large replies and never reads is closed with 4008 while its queue stays
 * within the cap. And a slow consumer's close frame overtakes its queue, so the client sees 4008 rather
 * than the socket cut behind megabytes it had no time to read.
 */
class OutboundCapAttackTest {
    /** A kernel send buffer this small, so the server's own queue fills after little data. */
    private static final int SOCKET_SEND_BUFFER = 8192;
    private static final int ECHO_PAYLOAD = 60_000;

    private static WebSocket websocket(int maxQueuedBytes) {
        WebSocket d = TestServers.websocket();
        // writeWait far longer than the test: only the queue cap can close the connection.
        return d.toBuilder().readBufferBytes(0).writeBufferBytes(SOCKET_SEND_BUFFER).writeWait(Duration.ofSeconds(60))
                .maxQueuedBytes(maxQueuedBytes).enableCompression(false).build();
    }

    private static NettySession session(SwitchboardServer server, String userId) {
        Await.until(userId + " connected",
                () -> server.hub().connections().stream().anyMatch(c -> c.userId().equals(userId)));
        Connection c = server.hub().connections().stream().filter(x -> x.userId().equals(userId)).findFirst()
                .orElseThrow();
        return (NettySession) c.session();
    }

    /** Samples a session's queued bytes on its event loop until stopped; the largest seen. */
    private static Thread sampler(NettySession session, AtomicBoolean stop, AtomicLong max) {
        Thread t = new Thread(() -> {
            while (!stop.get() && session.channel().isActive()) {
                try {
                    long q = session.channel().eventLoop().submit(session::queuedBytes).get(5, TimeUnit.SECONDS);
                    max.accumulateAndGet(q, Math::max);
                    Thread.sleep(2);
                } catch (Exception e) {
                    return; // the channel closed and its event loop went on to others
                }
            }
        }, "queued-bytes-sampler");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static byte[] echoRequest() {
        return ByteBuffer.allocate(4 + ECHO_PAYLOAD).put((byte) 0x01).put((byte) (ECHO_PAYLOAD >>> 16))
                .put((byte) (ECHO_PAYLOAD >>> 8)).put((byte) ECHO_PAYLOAD).put(new byte[ECHO_PAYLOAD]).array();
    }

    @Test
    void aClientThatAsksForEchoesAndNeverReadsIsClosed4008WithItsQueueWithinTheCap() throws Exception {
        int cap = 256 * 1024;
        SecureServers s = new SecureServers(); // 100 messages/s, bursts of 200: the echoes below are within it
        s.websocket = websocket(cap);
        try (SwitchboardServer server = s.start();
             RawPeer p = RawPeer.open("127.0.0.1", server.port(), 4096)) {
            p.upgraded(server.port(), "/ws?id=hoarder", Map.of());
            NettySession session = session(server, "hoarder");
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong maxQueued = new AtomicLong();
            Thread t = sampler(session, stop, maxQueued);
            byte[] echo = RawPeer.frame(true, 0, RawPeer.BINARY, echoRequest());
            int sent = 0;
            // 150 echoes of 60 KB: 9 MB of replies, 35 times the cap; stop once the server let go of it.
            while (sent < 150 && server.hub().connectionCount() > 0 && p.tryWrite(echo)) {
                sent++;
            }
            assertThat(p.awaitCloseCode()).as("close code after %d echoes", sent).isEqualTo(4008);
            stop.set(true);
            t.join(5000);
            assertThat(maxQueued.get()).as("largest queue seen").isPositive()
                    .isLessThanOrEqualTo(cap + ECHO_PAYLOAD + 14L);
        }
    }

    @Test
    void aSlowConsumerThatReadsAgainAfterOverflowingReceivesTheCloseFrame4008() throws Exception {
        int cap = 4 * 1024 * 1024;
        SwitchboardServer server = SwitchboardServer.start(TestServers.with(websocket(cap)));
        try (server; WsClient publisher = WsClient.welcomed(server.port(), "publisher");
             RawPeer slow = RawPeer.open("127.0.0.1", server.port(), 4096)) {
            slow.upgraded(server.port(), "/ws?id=slow", Map.of());
            slow.sendText("{\"type\":\"join_room\",\"room\":\"feed\"}");
            Await.until("slow joined", () -> server.hub().localMembers("feed").size() == 1);
            publisher.send("{\"type\":\"join_room\",\"room\":\"feed\"}");
            publisher.next("room_joined");
            // Reads nothing until the server dropped the member, then reads again at about 1 MB/s: the close
            // frame must come before the socket is cut behind it (2 s after the close).
            CompletableFuture<Integer> closeSeen = CompletableFuture.supplyAsync(() -> {
                Await.until("the slow member was dropped", Duration.ofSeconds(30),
                        () -> server.hub().localMembers("feed").size() == 1);
                long read = 0;
                while (true) {
                    RawPeer.Frame f = slow.readFrame();
                    if (f == null) {
                        return -(int) Math.min(Integer.MAX_VALUE, read); // the stream ended without a close
                    }
                    if (f.opcode() == RawPeer.CLOSE) {
                        return f.closeCode();
                    }
                    read += f.payload().length;
                    LockSupport.parkNanos(f.payload().length * 1000L);
                }
            });
            String pad = "x".repeat(8000);
            // ~8 KB messages until the slow member is dropped: 4 MiB queued, at most 10 MB published.
            for (int i = 0; i < 1250 && server.hub().localMembers("feed").size() == 2; i++) {
                publisher.send("{\"type\":\"room_message\",\"room\":\"feed\",\"content\":\"" + pad + "\"}");
            }
            assertThat(closeSeen.get(30, TimeUnit.SECONDS)).as("close code (negative: bytes read before EOF)")
                    .isEqualTo(4008);
        }
    }
}
