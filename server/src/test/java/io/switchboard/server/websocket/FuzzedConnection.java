package io.switchboard.server.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.switchboard.core.TimeSource;
import io.switchboard.core.command.CommandHandler;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.limit.SecurityCounters;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.server.buffer.Buffers;
import io.switchboard.server.config.SwitchboardConfig;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One WebSocket connection on an embedded channel for the fuzz targets: the production HTTP stages, then
 * what {@link WebSocketPipeline} installs on the upgrade (as in {@link WebSocketPipelineTest}), in front of a
 * real hub shared by every input. Reads what the server writes as frames and checks them as it goes:
 * server frames are unmasked and final, a close frame carries a code of the close-code table (or echoes a
 * valid code of the peer's close), and nothing
 * follows a close frame. Confined to the test thread.
 */
final class FuzzedConnection implements AutoCloseable {
    static final SwitchboardConfig CONFIG = SwitchboardConfig.defaults();
    /** One hub for all inputs of a run: each input's connection must have left it when the input is done. */
    static final Hub HUB = new Hub(CONFIG.core(), new MemoryHistoryStore(10, Duration.ofMinutes(1), TimeSource.SYSTEM),
            PreEncodedFrame.factory(Buffers.ALLOCATOR), new JsonCodec(), TimeSource.SYSTEM, "fuzz", "fuzz");
    private static final WebSocketPipeline STAGES = new WebSocketPipeline(CONFIG, HUB, new CommandHandler(HUB, null),
            () -> { }, new SecurityCounters(), "router", List.of("deadline", "router"), null);

    /** A server frame as read back from the channel. */
    record Frame(int opcode, byte[] payload) {
        int closeCode() {
            return payload.length < 2 ? -1 : ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        }

        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return opcode == 0x8 ? "close " + closeCode() + " " + new String(payload, 2, payload.length - 2,
                    StandardCharsets.UTF_8) : "opcode " + opcode + " " + text();
        }
    }

    final EmbeddedChannel ch = new EmbeddedChannel();
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final List<Frame> frames = new ArrayList<>();
    private boolean closeSent;

    /** Connects and completes the handshake; the 101 and the welcome are read and dropped. */
    FuzzedConnection() {
        EmbeddedPeers.httpStagesAdmitting(ch, STAGES, "fuzzer");
        ch.writeInbound(Unpooled.copiedBuffer("GET " + CONFIG.websocket().path() + " HTTP/1.1\r\nHost: localhost\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n", StandardCharsets.US_ASCII));
        ByteBuf response = ch.readOutbound();
        assertThat(response.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 101 ");
        response.release();
        drain();
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).text()).contains("\"type\":\"welcome\"");
        frames.clear();
    }

    /** Writes bytes as the peer; any exception that leaves the pipeline fails the input. */
    void write(byte[] bytes) {
        if (ch.isOpen()) {
            ch.writeInbound(Unpooled.wrappedBuffer(bytes));
        }
        drain();
    }

    /** The frames the server wrote since the last call. */
    List<Frame> take() {
        drain();
        List<Frame> taken = List.copyOf(frames);
        frames.clear();
        return taken;
    }

    boolean closeSent() {
        drain();
        return closeSent;
    }

    /** Reads every written buffer (releasing it) and splits the bytes into checked server frames. */
    private void drain() {
        for (Object out; (out = ch.readOutbound()) != null; ) {
            assertThat(out).as("written to the peer").isInstanceOf(ByteBuf.class);
            ByteBuf buf = (ByteBuf) out;
            try {
                byte[] bytes = new byte[buf.readableBytes()];
                buf.readBytes(bytes);
                pending.writeBytes(bytes);
            } finally {
                buf.release();
            }
        }
        byte[] b = pending.toByteArray();
        int at = 0;
        while (b.length - at >= 2) {
            int header = 2;
            long length = b[at + 1] & 0x7F;
            assertThat(b[at + 1] & 0x80).as("server frames are unmasked (RFC 6455 5.1)").isZero();
            if (length == 126) {
                header = 4;
                if (b.length - at < header) {
                    break;
                }
                length = ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
            } else if (length == 127) {
                header = 10;
                if (b.length - at < header) {
                    break;
                }
                length = 0;
                for (int i = 2; i < 10; i++) {
                    length = (length << 8) | (b[at + i] & 0xFF);
                }
            }
            if (b.length - at - header < length) {
                break;
            }
            assertThat(b[at] & 0xF0).as("a final frame without RSV bits").isEqualTo(0x80);
            byte[] payload = new byte[(int) length];
            System.arraycopy(b, at + header, payload, 0, payload.length);
            Frame frame = new Frame(b[at] & 0x0F, payload);
            assertThat(closeSent).as("a frame after the close frame %s: opcode %d, payload %s", frames,
                    frame.opcode(), frame.text()).isFalse();
            if (frame.opcode() == 0x8) {
                closeSent = true;
                // A code of our table, or the peer's own close code echoed (any RFC 6455 7.4 code the decoder accepts),
                // or no body at all: the answer to a peer's close that carried no status code (RFC 6455 5.5.1).
                assertThat(frame.payload().length == 0 || CloseCode.of(frame.closeCode()) != null
                        || CloseFrameCheckingDecoder.isValidCode(frame.closeCode())).as("close code %d", frame.closeCode())
                        .isTrue();
            }
            frames.add(frame);
            at += header + (int) length;
        }
        pending.reset();
        pending.write(b, at, b.length - at);
    }

    /**
     * Ends the connection abruptly if it is still open, and checks what must hold after any input: a
     * connection the server closed was closed with a close frame, nothing is left unread, and the
     * connection has left the hub.
     */
    @Override
    public void close() {
        drain();
        if (!ch.isOpen()) {
            assertThat(closeSent).as("the server closed the connection without a close frame").isTrue();
        }
        ch.close();
        drain();
        assertThat(pending.size()).as("bytes of an incomplete server frame").isZero();
        ch.finishAndReleaseAll();
        assertThat(HUB.connectionCount()).as("connections left in the hub").isZero();
    }

    /** A client frame of any length, masked with a zero key so the payload reads as it is. */
    static byte[] clientFrame(int opcode, boolean fin, byte[] payload) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write((fin ? 0x80 : 0) | opcode);
        if (payload.length < 126) {
            b.write(0x80 | payload.length);
        } else if (payload.length <= 0xFFFF) {
            b.write(0x80 | 126);
            b.write(payload.length >>> 8);
            b.write(payload.length);
        } else {
            b.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                b.write((int) ((long) payload.length >>> shift));
            }
        }
        b.writeBytes(new byte[4]);
        b.writeBytes(payload);
        return b.toByteArray();
    }

    static final byte[] PING = clientFrame(0x1, true, "{\"type\":\"ping\",\"id\":\"probe\"}"
            .getBytes(StandardCharsets.UTF_8));

    /** Whether the frames say the server answered the probe {@link #PING}. */
    static boolean answersProbe(List<Frame> frames) {
        return frames.stream().anyMatch(f -> f.opcode() == 0x1 && f.text().contains("\"type\":\"pong\"")
                && f.text().contains("\"probe\""));
    }
}
