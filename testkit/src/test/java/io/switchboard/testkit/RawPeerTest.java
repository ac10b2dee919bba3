package io.switchboard.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The raw peer against a scripted server on a plain socket: what it writes, and how it reads the answers. */
class RawPeerTest {
    private final ServerSocket listener = listen();
    private final int port = listener.getLocalPort();

    @AfterEach
    void closeListener() throws IOException {
        listener.close();
    }

    private static ServerSocket listen() {
        try {
            return new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Accepts one connection, reads the request head, and hands head and socket to {@code script}. */
    private CompletableFuture<String> serve(BiConsumer<String, Socket> script) {
        return CompletableFuture.supplyAsync(() -> {
            try (Socket s = listener.accept()) {
                s.setSoTimeout(5000);
                String head = readHead(s.getInputStream());
                script.accept(head, s);
                return head;
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed in the head: " + head);
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static String header(String head, String name) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase().startsWith(name.toLowerCase() + ":")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        return null;
    }

    private static void write(Socket s, String text) {
        write(s, text.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static void write(Socket s, byte[] bytes) {
        try {
            OutputStream out = s.getOutputStream();
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void accept101(String head, Socket s) {
        write(s, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + RawPeer.accept(header(head, "Sec-WebSocket-Key")) + "\r\n\r\n");
    }

    /** An unmasked server frame. */
    private static byte[] serverFrame(int opcode, byte[] payload) {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write(0x80 | opcode);
        f.write(payload.length);
        f.writeBytes(payload);
        return f.toByteArray();
    }

    /** Reads one client frame and returns {opcode, masked?, unmasked payload...}. */
    private static byte[] readClientFrame(InputStream in) throws IOException {
        int b0 = in.read();
        int b1 = in.read();
        int len = b1 & 0x7F;
        boolean masked = (b1 & 0x80) != 0;
        byte[] mask = masked ? in.readNBytes(4) : new byte[4];
        byte[] payload = in.readNBytes(len);
        byte[] result = new byte[payload.length + 2];
        result[0] = (byte) (b0 & 0x0F);
        result[1] = (byte) (masked ? 1 : 0);
        for (int i = 0; i < payload.length; i++) {
            result[i + 2] = (byte) (payload[i] ^ mask[i & 3]);
        }
        return result;
    }

    @Test
    void theAcceptValueIsTheOneOfRfc6455() {
        // RFC 6455 section 1.3, the example key and its answer.
        assertThat(RawPeer.accept("dGhlIHNhbXBsZSBub25jZQ==")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    @Test
    void connectSendsAnUpgradeWithCustomHeadersAndChecksTheAccept() throws Exception {
        CompletableFuture<String> head = serve(RawPeerTest::accept101);
        try (RawPeer peer = RawPeer.connect(port, "/ws?id=a", Map.of("Origin", "https://example.test"))) {
            assertThat(peer.isClosed()).isFalse();
            String request = head.get(5, TimeUnit.SECONDS);
            assertThat(request).startsWith("GET /ws?id=a HTTP/1.1\r\n")
                    .contains("Upgrade: websocket\r\n", "Sec-WebSocket-Version: 13\r\n", "Origin: https://example.test\r\n");
            assertThat(header(request, "Sec-WebSocket-Key")).isNotEqualTo(RawPeer.DEFAULT_KEY);
        }
    }

    @Test
    void aWrongAcceptFailsTheUpgrade() {
        serve((head, s) -> write(s, "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: wrong\r\n\r\n"));
        assertThatThrownBy(() -> RawPeer.connect(port, "/ws")).isInstanceOf(AssertionError.class)
                .hasMessageContaining("Sec-WebSocket-Accept");
    }

    @Test
    void aRefusalIsReadWithItsBody() {
        serve((head, s) -> write(s, "HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\nX-Why: origin\r\n\r\nforbidden"));
        RawPeer.Response r = RawPeer.refusedUpgrade(port, "/ws");
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.headers()).containsEntry("x-why", "origin");
        assertThat(r.body()).isEqualTo("forbidden");
    }

    @Test
    void aNullHeaderIsLeftOut() {
        String request = RawPeer.upgradeRequest(80, "/ws", java.util.Collections.singletonMap("Upgrade", null));
        assertThat(request).doesNotContain("Upgrade:").contains("Sec-WebSocket-Key: " + RawPeer.DEFAULT_KEY);
    }

    @Test
    void framesGoOutMaskedOrOnPurposeUnmasked() throws Exception {
        CompletableFuture<byte[][]> received = new CompletableFuture<>();
        serve((head, s) -> {
            accept101(head, s);
            try {
                InputStream in = s.getInputStream();
                received.complete(new byte[][] {readClientFrame(in), readClientFrame(in), readClientFrame(in)});
            } catch (IOException e) {
                received.completeExceptionally(e);
            }
        });
        try (RawPeer peer = RawPeer.connect(port, "/ws")) {
            peer.sendText("héllo");
            peer.sendFrame(true, RawPeer.BINARY, new byte[] {1, 2, 3}, false);
            peer.sendClose(1000, "bye");
            byte[][] frames = received.get(5, TimeUnit.SECONDS);
            assertThat(frames[0][0]).isEqualTo((byte) RawPeer.TEXT);
            assertThat(frames[0][1]).as("masked").isEqualTo((byte) 1);
            assertThat(new String(frames[0], 2, frames[0].length - 2, StandardCharsets.UTF_8)).isEqualTo("héllo");
            assertThat(frames[1]).containsExactly(RawPeer.BINARY, 0, 1, 2, 3);
            assertThat(frames[2]).containsExactly(RawPeer.CLOSE, 1, 0x03, (byte) 0xE8, 'b', 'y', 'e');
        }
    }

    @Test
    void aLyingLengthIsWrittenAsGiven() {
        byte[] f = RawPeer.frame(true, 0, RawPeer.TEXT, new byte[0], 70_000);
        assertThat(f[1] & 0x7F).isEqualTo(127);
        assertThat(f).hasSize(2 + 8 + 4);
        byte[] rsv = RawPeer.frame(false, 4, RawPeer.TEXT, new byte[] {'x'});
        assertThat(rsv[0] & 0xFF).isEqualTo(0x41);
    }

    @Test
    void framesFromTheServerAreReadInOrderAndPingsAreSkippedForText() throws Exception {
        serve((head, s) -> {
            accept101(head, s);
            write(s, serverFrame(RawPeer.PING, new byte[] {9}));
            write(s, serverFrame(RawPeer.TEXT, "one".getBytes(StandardCharsets.UTF_8)));
            write(s, serverFrame(RawPeer.BINARY, new byte[] {7}));
            write(s, serverFrame(RawPeer.CLOSE, new byte[] {0x0F, (byte) 0xA0, 'o', 'k'}));
        });
        try (RawPeer peer = RawPeer.connect(port, "/ws")) {
            assertThat(peer.readText()).isEqualTo("one");
            RawPeer.Frame binary = peer.expectFrame();
            assertThat(binary.opcode()).isEqualTo(RawPeer.BINARY);
            assertThat(binary.fin()).isTrue();
            RawPeer.Frame close = peer.readUntilClose();
            assertThat(close.closeCode()).isEqualTo(4000);
            assertThat(close.closeReason()).isEqualTo("ok");
            assertThat(peer.closedByServer(2000)).isTrue();
            assertThat(peer.readFrame()).as("end of stream").isNull();
        }
    }

    @Test
    void expectFrameFailsAfterTheTimeoutAndReadFrameReturnsNull() throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        serve((head, s) -> {
            accept101(head, s);
            done.join();
        });
        try (RawPeer peer = RawPeer.connect(port, "/ws")) {
            assertThatThrownBy(() -> peer.expectFrame(Duration.ofMillis(50))).isInstanceOf(AssertionError.class)
                    .hasMessageContaining("no frame within 50 ms");
            peer.timeout(Duration.ofMillis(20));
            assertThat(peer.readFrame()).isNull();
            assertThat(peer.closedByServer(20)).isFalse();
        } finally {
            done.complete(null);
        }
    }

    @Test
    void aMaskedServerFrameFailsTheRead() {
        serve((head, s) -> {
            accept101(head, s);
            write(s, new byte[] {(byte) 0x81, (byte) 0x81, 0, 0, 0, 0, 'x'});
        });
        try (RawPeer peer = RawPeer.connect(port, "/ws")) {
            assertThatThrownBy(peer::readFrame).isInstanceOf(AssertionError.class).hasMessageContaining("never masked");
        }
    }

    @Test
    void awaitCloseCodeIsMinusOneWhenTheStreamEndsWithoutAClose() {
        serve((head, s) -> accept101(head, s));
        try (RawPeer peer = RawPeer.connect(port, "/ws")) {
            assertThat(peer.awaitCloseCode()).isEqualTo(-1);
        }
    }

    @Test
    void connectingToNothingFailsTheTest() throws IOException {
        listener.close();
        assertThatThrownBy(() -> RawPeer.open(port)).isInstanceOf(AssertionError.class);
    }
}
