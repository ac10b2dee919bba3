package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.testkit.RawPeer;
import io.switchboard.core.config.WebSocket;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Malformed and hostile frames against the real server, each answered with the close code RFC 6455
 * prescribes, and the slowloris and decompression-bomb attacks, each cut off with memory bounded.
 */
class FrameAttackTest {
    private static SwitchboardServer server;
    private static int port;

    @BeforeAll
    static void start() {
        SecureServers s = new SecureServers();
        s.security.rateLimitRps(100_000);
        s.security.rateLimitBurst(100_000);
        s.websocket = WebSocket.builder().maxConnections(10_000).handshakeTimeout(Duration.ofSeconds(2))
                .maxMessageBytes(256 * 1024).enableCompression(true).build();
        server = s.start();
        port = server.port();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static RawPeer connected() {
        RawPeer p = RawPeer.open(port).upgraded(port, "/ws?id=attacker", Map.of());
        assertThat(p.nextText().text()).contains("welcome");
        return p;
    }

    private static int closeCodeAfter(byte[]... frames) {
        try (RawPeer p = connected()) {
            for (byte[] f : frames) {
                if (!p.tryWrite(f)) {
                    break;
                }
            }
            return p.awaitCloseCode();
        }
    }

    private static byte[] bytes(int n) {
        return new byte[n];
    }

    @Test
    void aFrameLargerThanMaxFrameBytesCloses1009() {
        assertThat(closeCodeAfter(RawPeer.frame(true, 0, RawPeer.TEXT, bytes(65537)))).isEqualTo(1009);
    }

    @Test
    void aLengthFieldClaimingExabytesCloses1009WithoutReadingOrAllocatingIt() {
        assertThat(closeCodeAfter(RawPeer.frame(true, 0, RawPeer.BINARY, bytes(10), 1L << 60))).isEqualTo(1009);
        assertThat(closeCodeAfter(RawPeer.frame(true, 0, RawPeer.BINARY, bytes(10), Long.MAX_VALUE)))
                .isIn(1002, 1009);
    }

    @Test
    void anEndlessFragmentedMessageCloses1009AtMaxMessageBytes() {
        List<byte[]> frames = new ArrayList<>();
        frames.add(RawPeer.frame(false, 0, RawPeer.TEXT, bytes(60_000)));
        for (int i = 0; i < 50; i++) {
            frames.add(RawPeer.frame(false, 0, RawPeer.CONTINUATION, bytes(60_000)));
        }
        assertThat(closeCodeAfter(frames.toArray(byte[][]::new))).isEqualTo(1009);
    }

    @Test
    void fragmentedOrOversizedControlFramesClose1002() {
        assertThat(closeCodeAfter(RawPeer.frame(false, 0, RawPeer.PING, bytes(10)))).isEqualTo(1002);
        assertThat(closeCodeAfter(RawPeer.frame(true, 0, RawPeer.PING, bytes(126)))).isEqualTo(1002);
        assertThat(closeCodeAfter(RawPeer.frame(false, 0, RawPeer.CLOSE, new byte[] {0x03, (byte) 0xE8})))
                .isEqualTo(1002);
    }

    @Test
    void protocolViolationsClose1002() {
        byte[] unmasked = {(byte) 0x81, 0x02, 'h', 'i'};
        assertThat(closeCodeAfter(unmasked)).as("unmasked client frame").isEqualTo(1002);
        assertThat(closeCodeAfter(RawPeer.frame(true, 0, 0x3, bytes(1)))).as("reserved opcode").isEqualTo(1002);
        for (int rsv = 1; rsv <= 7; rsv++) {
            assertThat(closeCodeAfter(RawPeer.frame(true, rsv, RawPeer.TEXT, "{}".getBytes(StandardCharsets.UTF_8))))
                    .as("RSV %d without an extension (compression enabled, not negotiated)", rsv).isEqualTo(1002);
        }
        assertThat(closeCodeAfter(RawPeer.frame(true, 4, RawPeer.PING, bytes(1)))).as("RSV on a ping")
                .isEqualTo(1002);
        assertThat(closeCodeAfter(RawPeer.frame(true, 7, RawPeer.CLOSE, new byte[] {0x03, (byte) 0xE8})))
                .as("RSV on a close").isEqualTo(1002);
        assertThat(closeCodeAfter(RawPeer.frame(true, 0, RawPeer.CONTINUATION, bytes(1))))
                .as("continuation without a start").isEqualTo(1002);
        assertThat(closeCodeAfter(RawPeer.frame(false, 0, RawPeer.TEXT, bytes(1)),
                RawPeer.frame(true, 0, RawPeer.TEXT, bytes(1)))).as("new message inside a fragmented one")
                .isEqualTo(1002);
    }

    @Test
    void invalidUtf8SplitAcrossFragmentsCloses1007() {
        // U+20AC is E2 82 AC; the first fragment ends mid-character, the second continues with a non-continuation byte.
        assertThat(closeCodeAfter(RawPeer.frame(false, 0, RawPeer.TEXT, new byte[] {'{', (byte) 0xE2, (byte) 0x82}),
                RawPeer.frame(true, 0, RawPeer.CONTINUATION, new byte[] {'(', '}'}))).isEqualTo(1007);
        assertThat(closeCodeAfter(RawPeer.frame(true, 0, RawPeer.TEXT, new byte[] {(byte) 0xC0, (byte) 0xAF})))
                .as("overlong encoding").isEqualTo(1007);
        assertThat(closeCodeAfter(RawPeer.frame(true, 0, RawPeer.TEXT,
                new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}))).as("surrogate").isEqualTo(1007);
    }

    @Test
    void closeFramesWithInvalidCodesOrPayloadsClose1002AndValidOnesAreEchoed() {
        Map<Integer, Integer> answers = new java.util.TreeMap<>();
        for (int code : new int[] {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
            byte[] payload = {(byte) (code >> 8), (byte) code};
            answers.put(code, closeCodeAfter(RawPeer.frame(true, 0, RawPeer.CLOSE, payload)));
        }
        assertThat(answers).as("close code sent → close code answered").allSatisfy((sent, answered) ->
                assertThat(answered).as("answer to %d", sent).isEqualTo(1002));
        assertThat(closeCodeAfter(RawPeer.frame(true, 0, RawPeer.CLOSE, new byte[] {0x03}))).as("one-byte payload")
                .isEqualTo(1002);
        assertThat(closeCodeAfter(RawPeer.frame(true, 0, RawPeer.CLOSE,
                new byte[] {0x03, (byte) 0xE8, (byte) 0xFF}))).as("invalid UTF-8 reason").isIn(1002, 1007);
        assertThat(closeCodeAfter(RawPeer.frame(true, 0, RawPeer.CLOSE, new byte[] {0x0F, (byte) 0xA0})))
                .as("4000 is for applications").isEqualTo(4000);
    }

    @Test
    void aDecompressionBombIsCutAtMaxMessageBytesAndTheHeapStaysBounded() {
        byte[] bomb = deflatedZeros(60 * 1024 * 1024);
        assertThat(bomb.length).isLessThan(65536);
        long heapBefore = usedHeap();
        try (RawPeer p = RawPeer.open(port)) {
            RawPeer.Response r = p.handshake(port, "/ws?id=bomber",
                    Map.of("Sec-WebSocket-Extensions", "permessage-deflate"));
            assertThat(r.status()).isEqualTo(101);
            assertThat(r.headers().get("sec-websocket-extensions")).startsWith("permessage-deflate");
            RawPeer.Frame welcome = p.nextText();
            assertThat(welcome.rsv()).as("welcome compressed (RSV1)").isEqualTo(4);
            for (int i = 0; i < 20 && p.tryWrite(RawPeer.frame(true, 4, RawPeer.TEXT, bomb)); i++) {
                // each frame would inflate to 60 MiB: 1.2 GiB in all
            }
            assertThat(p.awaitCloseCode()).isEqualTo(1009);
        }
        assertThat(usedHeap() - heapBefore).as("heap growth").isLessThan(200L * 1024 * 1024);
        try (RawPeer ok = connected()) {
            ok.sendText("{\"type\":\"ping\"}");
            assertThat(ok.nextText().text()).contains("pong");
        }
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        System.gc();
        return rt.totalMemory() - rt.freeMemory();
    }

    /** permessage-deflate payload of {@code n} zero bytes: raw deflate, sync-flushed, tail 00 00 FF FF removed. */
    private static byte[] deflatedZeros(int n) {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] zeros = new byte[1024 * 1024];
        byte[] buf = new byte[64 * 1024];
        for (int written = 0; written < n; written += zeros.length) {
            deflater.setInput(zeros);
            while (!deflater.needsInput()) {
                out.write(buf, 0, deflater.deflate(buf, 0, buf.length, Deflater.NO_FLUSH));
            }
        }
        int len;
        while ((len = deflater.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH)) > 0) {
            out.write(buf, 0, len);
        }
        deflater.end();
        byte[] all = out.toByteArray();
        return Arrays.copyOf(all, all.length - 4);
    }

    @Test
    void slowlorisSocketsAreAllCutAtTheHandshakeDeadlineWhileANormalClientConnectsPromptly() throws Exception {
        int sockets = 300;
        List<RawPeer> slow = new ArrayList<>();
        byte[] request = "GET /ws?id=slow HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nX-Pad: "
                .getBytes(StandardCharsets.US_ASCII);
        long start = System.nanoTime();
        try {
            for (int i = 0; i < sockets; i++) {
                slow.add(RawPeer.open(port));
            }
            long normalMillis = -1;
            // Trickle one header byte per socket every 100 ms, forever; the deadline is 2 s from accept.
            for (int round = 0; round < 40; round++) {
                byte b = round < request.length ? request[round] : (byte) 'a';
                for (RawPeer p : slow) {
                    p.tryWrite(new byte[] {b});
                }
                if (round == 5) {
                    long t = System.nanoTime();
                    try (RawPeer normal = connected()) {
                        normalMillis = (System.nanoTime() - t) / 1_000_000;
                        normal.sendText("{\"type\":\"ping\"}");
                        assertThat(normal.nextText().text()).contains("pong");
                    }
                }
                Thread.sleep(100);
            }
            assertThat(normalMillis).as("normal client handshake ms during the attack").isBetween(0L, 1000L);
            long closed = slow.stream().filter(p -> p.closedByServer(50)).count();
            assertThat(closed).as("slow sockets closed by the server").isEqualTo(sockets);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
        } finally {
            slow.forEach(RawPeer::close);
        }
    }
}
