package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.testkit.RawPeer;
import io.switchboard.core.config.WebSocket;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.zip.Deflater;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code websocket.maxMessageBytes} is one number: a message of exactly that many bytes passes and one
 * byte more closes with 1009, whether it arrives plain or permessage-deflate compressed (the limit
 * applies to the inflated bytes).
 */
class MessageSizeLimitTest {
    private static final int LIMIT = 65_536;
    private static SwitchboardServer server;
    private static int port;

    @BeforeAll
    static void start() {
        SecureServers s = new SecureServers();
        s.security.rateLimitRps(100_000);
        s.security.rateLimitBurst(100_000);
        s.websocket = WebSocket.builder().maxConnections(10_000).handshakeTimeout(Duration.ofSeconds(2))
                .maxFrameBytes(LIMIT).maxMessageBytes(LIMIT).enableCompression(true).build();
        server = s.start();
        port = server.port();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /**
     * A binary echo request of {@code size} bytes in all: op, 3-byte length, payload of hex digits (about
     * half as large deflated, so the inflater still holds unread input when its output nears the limit).
     */
    private static byte[] echoOf(int size) {
        int length = size - 4;
        byte[] payload = new byte[length];
        Random random = new Random(size);
        for (int i = 0; i < length; i++) {
            payload[i] = (byte) "0123456789abcdef".charAt(random.nextInt(16));
        }
        return ByteBuffer.allocate(size).put((byte) 0x01).put((byte) (length >>> 16)).put((byte) (length >>> 8))
                .put((byte) length).put(payload).array();
    }

    /** permessage-deflate payload (RFC 7692 section 7.2.1): raw deflate, sync-flushed, tail 00 00 FF FF removed. */
    private static byte[] deflate(byte[] message) {
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        deflater.setInput(message);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[64 * 1024];
        int len;
        while ((len = deflater.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH)) > 0) {
            out.write(buf, 0, len);
        }
        deflater.end();
        byte[] all = out.toByteArray();
        return Arrays.copyOf(all, all.length - 4);
    }

    /** The opcode of the server's answer to {@code frames} (2 for the echo reply), or the close code it sent. */
    private static int answerTo(boolean compressed, byte[]... frames) {
        try (RawPeer p = RawPeer.open(port)) {
            RawPeer.Response r = p.handshake(port, "/ws?id=sizer",
                    compressed ? Map.of("Sec-WebSocket-Extensions", "permessage-deflate") : Map.of());
            assertThat(r.status()).isEqualTo(101);
            assertThat(p.nextText().opcode()).as("welcome (compressed when negotiated)").isEqualTo(RawPeer.TEXT);
            for (byte[] f : frames) {
                if (!p.tryWrite(f)) {
                    break;
                }
            }
            RawPeer.Frame answer = p.readFrame();
            assertThat(answer).as("an answer before the timeout").isNotNull();
            return answer.opcode() == RawPeer.CLOSE ? answer.closeCode() : answer.opcode();
        }
    }

    private static int compressed(int size) {
        byte[] deflated = deflate(echoOf(size));
        assertThat(deflated.length).as("deflated size").isLessThan(LIMIT);
        return answerTo(true, RawPeer.frame(true, 4, RawPeer.BINARY, deflated));
    }

    private static int plainInTwoFragments(int size) {
        byte[] m = echoOf(size);
        return answerTo(false, RawPeer.frame(false, 0, RawPeer.BINARY, Arrays.copyOf(m, 1000)),
                RawPeer.frame(true, 0, RawPeer.CONTINUATION, Arrays.copyOfRange(m, 1000, size)));
    }

    @Test
    void aPlainMessageOfExactlyTheLimitPassesAndOneByteMoreCloses1009() {
        assertThat(answerTo(false, RawPeer.frame(true, 0, RawPeer.BINARY, echoOf(LIMIT)))).isEqualTo(RawPeer.BINARY);
        assertThat(plainInTwoFragments(LIMIT)).isEqualTo(RawPeer.BINARY);
        assertThat(plainInTwoFragments(LIMIT + 1)).isEqualTo(1009);
    }

    @Test
    void aCompressedMessageOfExactlyTheLimitPassesAndOneByteMoreCloses1009() {
        for (int size = LIMIT - 600; size <= LIMIT; size += 100) {
            assertThat(compressed(size)).as("inflated size %d", size).isEqualTo(RawPeer.BINARY);
        }
        assertThat(compressed(LIMIT)).as("inflated size %d", LIMIT).isEqualTo(RawPeer.BINARY);
        assertThat(compressed(LIMIT + 1)).as("inflated size %d", LIMIT + 1).isEqualTo(1009);
        assertThat(compressed(LIMIT + 5000)).as("inflated size %d", LIMIT + 5000).isEqualTo(1009);
    }
}
