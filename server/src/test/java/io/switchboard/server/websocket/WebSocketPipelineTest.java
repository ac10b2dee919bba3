package io.switchboard.server.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.switchboard.core.TimeSource;
import io.switchboard.core.command.CommandHandler;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.limit.SecurityCounters;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.server.buffer.Buffers;
import io.switchboard.server.config.SwitchboardConfig;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One WebSocket connection on an embedded channel, from the upgrade request to the close: the stages
 * {@link WebSocketPipeline} installs, the pipeline {@link AfterHandshake} leaves, and the inbound handler
 * with its {@link NettySession} in front of a real hub.
 */
class WebSocketPipelineTest {
    private static final SwitchboardConfig CONFIG = SwitchboardConfig.defaults();
    private final Hub hub = new Hub(CONFIG.core(), new MemoryHistoryStore(10, Duration.ofMinutes(1), TimeSource.SYSTEM),
            PreEncodedFrame.factory(Buffers.ALLOCATOR), new JsonCodec(), TimeSource.SYSTEM, "t", "t");
    private final AtomicInteger closed = new AtomicInteger();
    private final WebSocketPipeline stages = new WebSocketPipeline(CONFIG, hub, new CommandHandler(hub, null),
            closed::incrementAndGet, new SecurityCounters(), "router", List.of("deadline", "router"), null);

    @AfterEach
    void close() {
        hub.close();
    }

    /** The production HTTP stages, with stand-ins for the deadline and the router (which installs the stages). */
    private EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        EmbeddedPeers.httpStagesAdmitting(ch, stages, "alice");
        return ch;
    }

    private static ByteBuf upgradeRequest() {
        return Unpooled.copiedBuffer("GET " + CONFIG.websocket().path() + " HTTP/1.1\r\nHost: localhost\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n", StandardCharsets.US_ASCII);
    }

    /** A client frame (FIN set), masked with a zero key so the payload reads as it is. */
    private static ByteBuf clientFrame(int opcode, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x80 | opcode);
        out.write(0x80 | payload.length);
        out.writeBytes(new byte[4]);
        out.writeBytes(payload);
        return Unpooled.wrappedBuffer(out.toByteArray());
    }

    @Test
    void afterTheHandshakeOnlyTheWebSocketStagesRemainAndTheConnectionIsRegistered() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(upgradeRequest());

        assertThat(ch.pipeline().names()).containsSubsequence(WebSocketPipeline.LIMIT, WebSocketPipeline.SESSION)
                .doesNotContain("deadline", "router", "http", "aggregator", WebSocketPipeline.PROTOCOL);
        assertThat(ch.pipeline().get(WebSocket13FrameDecoder.class)).isInstanceOf(CloseFrameCheckingDecoder.class);
        assertThat(hub.connectionCount()).isEqualTo(1);
        String out = EmbeddedPeers.written(ch);
        assertThat(out).startsWith("HTTP/1.1 101 Switching Protocols").contains("\"type\":\"welcome\"");

        ch.writeInbound(clientFrame(0x1, "{\"type\":\"ping\",\"id\":7}".getBytes(StandardCharsets.UTF_8)));
        assertThat(EmbeddedPeers.written(ch)).contains("\"type\":\"pong\"");
        assertFalse(ch.finish());
    }

    @Test
    void aPeersCloseIsAnsweredOnceAndTheConnectionLeavesTheHub() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(upgradeRequest());
        EmbeddedPeers.written(ch);

        ch.writeInbound(clientFrame(0x8, new byte[] {0x03, (byte) 0xE8})); // 1000
        String answer = EmbeddedPeers.written(ch);
        assertThat(answer).startsWith("\u0088\u0002\u0003\u00E8"); // one close frame, 1000
        assertThat(ch.isOpen()).isFalse();
        assertThat(hub.connectionCount()).isZero();
        assertThat(closed.get()).isEqualTo(1);
        assertFalse(ch.finish());
    }

    @Test
    void aMessageLargerThanTheCapClosesWith1009() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(upgradeRequest());
        EmbeddedPeers.written(ch);
        int max = CONFIG.websocket().maxMessageBytes();
        // Two fragments that only together exceed websocket.maxMessageBytes: the joining stage refuses them.
        byte[] half = new byte[max / 2 + 1];
        ch.writeInbound(fragment(0x2, false, half), fragment(0x0, true, half));
        assertThat(EmbeddedPeers.written(ch)).startsWith("\u0088").contains("message too big");
        assertThat(hub.connectionCount()).isZero();
        assertFalse(ch.finish());
    }

    /** A client frame of any length, masked with a zero key. */
    private static ByteBuf fragment(int opcode, boolean fin, byte[] payload) {
        ByteBuf b = Unpooled.buffer(payload.length + 14);
        b.writeByte((fin ? 0x80 : 0) | opcode);
        if (payload.length < 126) {
            b.writeByte(0x80 | payload.length);
        } else if (payload.length <= 0xFFFF) {
            b.writeByte(0x80 | 126).writeShort(payload.length);
        } else {
            b.writeByte(0x80 | 127).writeLong(payload.length);
        }
        b.writeInt(0);
        b.writeBytes(payload);
        return b;
    }
}
