package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.compression.ZlibCodecFactory;
import io.switchboard.core.config.WebSocket;
import io.switchboard.protocol.BinaryOp;
import io.switchboard.testkit.RawPeer;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * permessage-deflate offers (RFC 7692) against the real server, by a raw client: which parameters the 101
 * answers, and that a compressed message round-trips (a binary echo, deflated both ways) under them.
 */
class CompressionOffersTest {
    private static SwitchboardServer server;
    private static int port;

    @BeforeAll
    static void start() {
        SecureServers s = new SecureServers();
        s.websocket = WebSocket.builder().maxConnections(1_000).handshakeTimeout(Duration.ofSeconds(2))
                .enableCompression(true).build();
        server = s.start();
        port = server.port();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** The answered extension's parameters ("name", then each parameter as sent), or an empty list for none. */
    private static List<String> answer(RawPeer.Response r) {
        String header = r.headers().get("sec-websocket-extensions");
        return header == null ? List.of()
                : Arrays.stream(header.split(";")).map(String::trim).map(p -> p.replace(" ", "")).toList();
    }

    private static RawPeer.Response offer(RawPeer p, String extensions) {
        RawPeer.Response r = p.handshake(port, "/ws?id=deflate", Map.of("Sec-WebSocket-Extensions", extensions));
        assertThat(r.status()).as("upgrade with " + extensions).isEqualTo(101);
        return r;
    }

    private static List<String> answerTo(String extensions) {
        try (RawPeer p = RawPeer.open(port)) {
            return answer(offer(p, extensions));
        }
    }

    /** A binary echo request: op 0x01, 3-byte length, payload. */
    private static byte[] echoOf(byte[] payload) {
        return ByteBuffer.allocate(4 + payload.length).put((byte) 0x01).put((byte) (payload.length >>> 16))
                .put((byte) (payload.length >>> 8)).put((byte) payload.length).put(payload).array();
    }

    /** RFC 7692 section 7.2.1: raw deflate, sync-flushed, the tail 00 00 FF FF removed; a fresh context. */
    private static byte[] deflate(byte[] message) {
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        deflater.setInput(message);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int len;
        while ((len = deflater.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH)) > 0) {
            out.write(buf, 0, len);
        }
        deflater.end();
        byte[] all = out.toByteArray();
        return Arrays.copyOf(all, all.length - 4);
    }

    /** Section 7.2.2: the tail appended again, inflated with {@code inflater} (a fresh one or the connection's). */
    private static byte[] inflate(Inflater inflater, byte[] payload) throws DataFormatException {
        byte[] in = Arrays.copyOf(payload, payload.length + 4);
        in[payload.length + 2] = (byte) 0xFF;
        in[payload.length + 3] = (byte) 0xFF;
        inflater.setInput(in);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int len;
        while ((len = inflater.inflate(buf)) > 0) {
            out.write(buf, 0, len);
        }
        return out.toByteArray();
    }

    /**
     * Offers {@code extensions}, then sends the same compressible message twice, compressed; each echo must come
     * back compressed (RSV1) and inflate to the message: with {@code freshInflaterEachTime}, each with an
     * inflater of its own, which only works when the server kept no context between them.
     */
    private static List<String> roundTrip(String extensions, boolean freshInflaterEachTime) throws Exception {
        byte[] message = echoOf("all work and no play makes jack a dull boy. ".repeat(40)
                .getBytes(StandardCharsets.UTF_8));
        try (RawPeer p = RawPeer.open(port)) {
            List<String> answered = answer(offer(p, extensions));
            assertThat(answered).as("accepted").isNotEmpty();
            assertThat(p.nextText().opcode()).as("welcome").isEqualTo(RawPeer.TEXT);
            Inflater connection = new Inflater(true);
            for (int i = 0; i < 2; i++) {
                p.write(RawPeer.frame(true, 4, RawPeer.BINARY, deflate(message)));
                RawPeer.Frame reply = p.expectFrame(Duration.ofSeconds(5));
                assertThat(reply.opcode()).isEqualTo(RawPeer.BINARY);
                assertThat(reply.rsv()).as("RSV1: compressed").isEqualTo(4);
                assertThat(reply.payload().length).as("smaller than the message").isLessThan(message.length);
                Inflater inflater = freshInflaterEachTime ? new Inflater(true) : connection;
                byte[] inflated = inflate(inflater, reply.payload());
                assertThat(inflated[0]).as("echo reply op").isEqualTo(BinaryOp.ECHO_REPLY);
                assertThat(Arrays.copyOfRange(inflated, 4, inflated.length))
                        .isEqualTo(Arrays.copyOfRange(message, 4, message.length));
                if (freshInflaterEachTime) {
                    inflater.end();
                }
            }
            connection.end();
            return answered;
        }
    }

    @Test
    void aPlainOfferIsAnsweredWithServerNoContextTakeoverAndRoundTrips() throws Exception {
        assertThat(roundTrip("permessage-deflate", true))
                .containsExactlyInAnyOrder("permessage-deflate", "server_no_context_takeover");
    }

    @Test
    void serverNoContextTakeoverIsAnsweredAndTheServerResetsItsCompressorEachMessage() throws Exception {
        assertThat(roundTrip("permessage-deflate; server_no_context_takeover", true))
                .containsExactlyInAnyOrder("permessage-deflate", "server_no_context_takeover");
    }

    @Test
    void clientNoContextTakeoverIsAnswered() throws Exception {
        assertThat(roundTrip("permessage-deflate; client_no_context_takeover", false))
                .containsExactlyInAnyOrder("permessage-deflate", "client_no_context_takeover",
                        "server_no_context_takeover");
    }

    @Test
    void bothNoContextTakeoversAreAnswered() throws Exception {
        assertThat(roundTrip("permessage-deflate; server_no_context_takeover; client_no_context_takeover", true))
                .containsExactlyInAnyOrder("permessage-deflate", "server_no_context_takeover",
                        "client_no_context_takeover");
    }

    @Test
    void serverMaxWindowBits15IsAnsweredWithTheSameValue() throws Exception {
        assertThat(roundTrip("permessage-deflate; server_max_window_bits=15", false))
                .containsExactlyInAnyOrder("permessage-deflate", "server_max_window_bits=15",
                        "server_no_context_takeover");
    }

    @Test
    void clientMaxWindowBitsIsAcceptedAndAValueAnsweredAsOffered() throws Exception {
        assertThat(roundTrip("permessage-deflate; client_max_window_bits", false))
                .containsExactlyInAnyOrder("permessage-deflate", "server_no_context_takeover");
        assertThat(roundTrip("permessage-deflate; client_max_window_bits=9", false))
                .containsExactlyInAnyOrder("permessage-deflate", "client_max_window_bits=9",
                        "server_no_context_takeover");
    }

    @Test
    void aSmallerServerWindowIsDeclinedWithoutJzlibAndTheNextOfferTaken() throws Exception {
        // The JDK deflater has a fixed 15-bit window; Netty needs JZlib for any other (not a dependency).
        assertThat(ZlibCodecFactory.isSupportingWindowSizeAndMemLevel()).as("JZlib absent").isFalse();
        assertThat(answerTo("permessage-deflate; server_max_window_bits=10")).isEmpty();
        assertThat(roundTrip("permessage-deflate; server_max_window_bits=10, "
                + "permessage-deflate; server_no_context_takeover", true))
                .containsExactlyInAnyOrder("permessage-deflate", "server_no_context_takeover");
    }

    @Test
    void malformedOrUnknownParametersDeclineTheOfferButNotTheUpgrade() {
        for (String bad : List.of("server_max_window_bits", "server_max_window_bits=08",
                "server_max_window_bits=16", "server_max_window_bits=7", "server_max_window_bits=x",
                "client_max_window_bits=16", "client_max_window_bits=07", "mystery_parameter")) {
            assertThat(answerTo("permessage-deflate; " + bad)).as(bad).isEmpty();
        }
    }

    /** Reads frames until a text frame whose (inflated, if RSV1) JSON has the given type; returns the frame. */
    private static RawPeer.Frame nextOfType(RawPeer p, String type) throws Exception {
        while (true) {
            RawPeer.Frame f = p.expectFrame(Duration.ofSeconds(5));
            if (f.opcode() == RawPeer.TEXT && text(f).contains("\"type\":\"" + type + "\"")) {
                return f;
            }
        }
    }

    private static String text(RawPeer.Frame f) throws DataFormatException {
        if (f.rsv() == 0) {
            return f.text();
        }
        Inflater fresh = new Inflater(true);
        try {
            return new String(inflate(fresh, f.payload()), StandardCharsets.UTF_8);
        } finally {
            fresh.end();
        }
    }

    /**
     * A room message fans out compressed to every member that negotiated permessage-deflate: the same bytes
     * for each (deflated once, with a fresh context, so a fresh inflater reads it), while a member without
     * compression gets it plain; a message too small to gain goes out plain to everyone.
     */
    @Test
    void aFanOutFrameIsCompressedOnceAndTheSameBytesGoToEveryMemberThatNegotiatedDeflate() throws Exception {
        String big = "price update for every instrument on the board, ".repeat(40);
        try (RawPeer a = RawPeer.open(port); RawPeer b = RawPeer.open(port); RawPeer plain = RawPeer.open(port)) {
            offer(a, "permessage-deflate");
            offer(b, "permessage-deflate; client_no_context_takeover");
            assertThat(plain.handshake(port, "/ws?id=plain", Map.of()).status()).isEqualTo(101);
            for (RawPeer p : List.of(a, b, plain)) {
                p.sendText("{\"type\":\"join_room\",\"room\":\"board\"}");
                nextOfType(p, "room_joined");
            }
            plain.sendText("{\"type\":\"room_message\",\"room\":\"board\",\"content\":\"" + big + "\",\"echo\":true}");
            RawPeer.Frame fa = nextOfType(a, "room_message");
            RawPeer.Frame fb = nextOfType(b, "room_message");
            RawPeer.Frame fp = nextOfType(plain, "room_message");
            assertThat(fa.rsv()).as("RSV1: compressed").isEqualTo(4);
            assertThat(fa.payload()).as("one compression for both").isEqualTo(fb.payload());
            assertThat(fa.payload().length).isLessThan(big.length() / 4);
            assertThat(fp.rsv()).as("plain for the member without compression").isZero();
            assertThat(text(fa)).isEqualTo(fp.text()).contains(big);

            plain.sendText("{\"type\":\"room_message\",\"room\":\"board\",\"content\":\"hi\"}");
            RawPeer.Frame small = nextOfType(a, "room_message");
            assertThat(small.rsv()).as("too small to compress").isZero();
            assertThat(small.text()).contains("\"content\":\"hi\"");
        }
    }
}
