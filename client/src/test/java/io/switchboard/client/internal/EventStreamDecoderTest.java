package io.switchboard.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The WHATWG event stream rules the server's streams are read by, fed in pieces as TCP delivers them. */
class EventStreamDecoderTest {
    private final List<String> events = new ArrayList<>();
    private final EventStreamDecoder decoder = new EventStreamDecoder(64);

    private void feed(String text) {
        ByteBuf buf = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
        try {
            decoder.feed(buf, (event, data) -> events.add(event + "=" + data));
        } finally {
            buf.release();
        }
    }

    @Test
    void eventsAreSplitOnBlankLinesWhateverTheLineEndingsAndWhereverThePiecesBreak() {
        feed("retry: 1000\n\n: heartbeat\n\nid: 1\nevent: wel");
        feed("come\ndata: {\"a\":1}\r\n\r");
        feed("\nevent: x\rdata: one\rdata: two\r\rdata: plain\n\n");
        assertThat(events).containsExactly("welcome={\"a\":1}", "x=one\ntwo", "message=plain");
    }

    @Test
    void multiByteCharactersSplitAcrossPiecesSurvive() {
        byte[] bytes = "data: héllo\n\n".getBytes(StandardCharsets.UTF_8);
        ByteBuf first = Unpooled.wrappedBuffer(bytes, 0, 8); // ends inside the two bytes of é
        ByteBuf rest = Unpooled.wrappedBuffer(bytes, 8, bytes.length - 8);
        decoder.feed(first, (e, d) -> events.add(d));
        decoder.feed(rest, (e, d) -> events.add(d));
        first.release();
        rest.release();
        assertThat(events).containsExactly("héllo");
    }

    @Test
    void aLineLongerThanTheCapFailsTheStream() {
        assertThatThrownBy(() -> feed("data: " + "x".repeat(100) + "\n\n"))
                .isInstanceOf(IllegalStateException.class).hasMessage("an event line longer than 64 bytes");
        assertThat(events).isEmpty();
    }
}
