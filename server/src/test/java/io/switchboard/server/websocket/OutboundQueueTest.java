package io.switchboard.server.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.switchboard.server.buffer.Buffers;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Corking on a real (embedded) channel: a batch larger than one cork leaves in several, every frame whole
 * and in order; no cork is ever grown by reallocation; the next batch starts with a cork that holds the last.
 */
class OutboundQueueTest {
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final OutboundQueue queue = new OutboundQueue() {
    };

    OutboundQueueTest() {
        queue.channel = channel;
    }

    @AfterEach
    void release() {
        channel.finishAndReleaseAll();
    }

    /** Queues {@code count} text frames of about 100 bytes; returns their wire bytes, back to back. */
    private byte[] batch(int first, int count) {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        for (int i = first; i < first + count; i++) {
            byte[] text = ("{\"type\":\"room_message\",\"room\":\"r\",\"offset\":" + i + ",\"data\":\"" + "x".repeat(50) + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            PreEncodedFrame f = PreEncodedFrame.text(channel.alloc(), text);
            ByteBuf bytes = f.retainedDuplicate();
            try {
                wire.writeBytes(ByteBufUtil.getBytes(bytes));
                queue.queue(f, f.wireSize());
            } finally {
                bytes.release();
                f.release();
            }
        }
        queue.uncork();
        channel.flush();
        return wire.toByteArray();
    }

    /** What the channel was handed since the last call, buffer by buffer (released). */
    private List<byte[]> written(List<Integer> capacities) {
        List<byte[]> out = new ArrayList<>();
        for (Object msg; (msg = channel.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) msg;
            capacities.add(b.capacity());
            out.add(ByteBufUtil.getBytes(b));
            b.release();
        }
        return out;
    }

    private static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        parts.forEach(all::writeBytes);
        return all.toByteArray();
    }

    @Test
    void aBatchLargerThanOneCorkLeavesInSeveralCorksEveryFrameInOrder() {
        byte[] expected = batch(0, 400); // about 40 KB
        List<Integer> capacities = new ArrayList<>();
        List<byte[]> corks = written(capacities);

        assertThat(concat(corks)).isEqualTo(expected);
        assertThat(expected.length).isGreaterThan(2 * Buffers.CORK_MAX_BYTES);
        assertThat(capacities).as("powers of two, none past the most a cork holds")
                .allSatisfy(c -> assertThat(Integer.bitCount(c)).isEqualTo(1))
                .allSatisfy(c -> assertThat(c).isLessThanOrEqualTo(Buffers.CORK_MAX_BYTES));
        assertThat(corks).as("each cork after the first holds the batch so far again: few corks")
                .hasSizeLessThanOrEqualTo(10);
    }

    @Test
    void theNextBatchStartsWithACorkThatHoldsTheLastOne() {
        batch(0, 60); // about 6 KB
        written(new ArrayList<>());
        List<Integer> capacities = new ArrayList<>();
        byte[] expected = batch(60, 60);
        assertThat(concat(written(capacities))).isEqualTo(expected);
        assertThat(capacities).containsExactly(8192);
    }
}
