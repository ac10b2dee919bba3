package io.switchboard.server.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.switchboard.core.TimeSource;
import io.switchboard.core.config.Security;
import io.switchboard.core.config.WebSocket;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.core.hub.Connection;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.limit.SecurityCounters;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.server.config.SwitchboardConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The inbound limit stage on its own, before any connection is registered (its closes go out directly). */
class InboundLimitHandlerTest {
    private final Hub hub = new Hub(SwitchboardConfig.defaults().core(),
            new MemoryHistoryStore(10, Duration.ofMinutes(1), TimeSource.SYSTEM),
            PreEncodedFrame.factory(UnpooledByteBufAllocator.DEFAULT), new JsonCodec(), TimeSource.SYSTEM, "t", "t");
    private final SecurityCounters counters = new SecurityCounters();
    private final RecordingPeer peer = new RecordingPeer();

    @AfterEach
    void close() {
        hub.close();
    }

    private static final class RecordingPeer implements InboundLimitHandler.Peer {
        int frames;
        int dropped;

        @Override
        public Connection connection() {
            return null;
        }

        @Override
        public void frameArrived(WebSocketFrame frame) {
            frames++;
        }

        @Override
        public void messageDropped() {
            dropped++;
        }
    }

    private EmbeddedChannel channel(Security security) {
        return new EmbeddedChannel(new InboundLimitHandler(hub, security, WebSocket.defaults(), peer,
                counters));
    }

    private static CloseWebSocketFrame closeSent(EmbeddedChannel ch) {
        CloseWebSocketFrame close = ch.readOutbound();
        assertThat(close).isNotNull();
        return close;
    }

    @Test
    void aFragmentedTextMessageOfValidUtf8PassesAndEveryFrameCountsAsActivity() {
        EmbeddedChannel ch = channel(Security.defaults());
        byte[] e = "é".getBytes(StandardCharsets.UTF_8); // split inside the character
        ch.writeInbound(new TextWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[] {e[0]})),
                new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[] {e[1]})));
        WebSocketFrame first = ch.readInbound();
        WebSocketFrame last = ch.readInbound();
        assertThat(first).isInstanceOf(TextWebSocketFrame.class);
        assertThat(last).isInstanceOf(ContinuationWebSocketFrame.class);
        first.release();
        last.release();
        assertThat(peer.frames).isEqualTo(2);
        assertFalse(ch.finish());
    }

    @Test
    void textThatIsNotUtf8ClosesTheConnectionWith1007() {
        EmbeddedChannel ch = channel(Security.defaults());
        ch.writeInbound(new TextWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {(byte) 0xC3, 0x28})));
        CloseWebSocketFrame close = closeSent(ch);
        assertThat(close.statusCode()).isEqualTo(1007);
        assertThat(close.reasonText()).isEqualTo(InboundLimitHandler.NOT_UTF8);
        close.release();
        assertThat(ch.isOpen()).isFalse();
        assertFalse(ch.finish());
    }

    @Test
    void aFrameWithAReservedBitNoExtensionDefinesClosesTheConnectionWith1002() {
        EmbeddedChannel ch = channel(Security.defaults());
        ch.writeInbound(new TextWebSocketFrame(true, 4, Unpooled.copiedBuffer("x", StandardCharsets.UTF_8)));
        CloseWebSocketFrame close = closeSent(ch);
        assertThat(close.statusCode()).isEqualTo(1002);
        close.release();
        assertThat(ch.isOpen()).isFalse();
        assertFalse(ch.finish());
    }

    @Test
    void aPingWithoutATokenIsDroppedUnansweredAndCounted() {
        EmbeddedChannel ch = channel(Security.builder().rateLimitRps(1).rateLimitBurst(1).maxConnectionsPerIp(0).maxConnectionsPerUser(0)
                .maxHandshakesPerIpPerSecond(0).build());
        ch.writeInbound(new PingWebSocketFrame(), new PingWebSocketFrame());
        WebSocketFrame admitted = ch.readInbound();
        admitted.release();
        Object refused = ch.readInbound();
        assertThat(refused).isNull();
        assertThat(counters.messagesRateLimited.sum()).isEqualTo(1);
        assertThat(peer.frames).isEqualTo(2);
        assertThat(ch.isOpen()).isTrue();
        assertFalse(ch.finish());
    }

    @Test
    void aMessageInMoreFramesThanTheLimitClosesTheConnectionWith1008() {
        EmbeddedChannel ch = channel(Security.builder().rateLimitRps(1_000_000).rateLimitBurst(1_000_000).maxConnectionsPerIp(0).maxConnectionsPerUser(0)
                .maxHandshakesPerIpPerSecond(0).build());
        int max = WebSocket.defaults().maxFragmentsPerMessage();
        ch.writeInbound(new TextWebSocketFrame(false, 0, Unpooled.EMPTY_BUFFER));
        for (int i = 0; i < max && ch.isOpen(); i++) {
            ch.writeInbound(new ContinuationWebSocketFrame(false, 0, Unpooled.EMPTY_BUFFER));
        }
        CloseWebSocketFrame close = closeSent(ch);
        assertThat(close.statusCode()).isEqualTo(1008);
        close.release();
        for (Object passed; (passed = ch.readInbound()) != null; ) {
            ((WebSocketFrame) passed).release();
        }
        assertFalse(ch.finish());
    }
}
