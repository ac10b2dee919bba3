package io.switchboard.server.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.WriteBufferWaterMark;
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
 * Behind its high-water mark a connection holds references to the shared frames and copies them as it drains.
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
        byte[] wire = queueFrames(first, count, 50);
        queue.uncork();
        channel.flush();
        return wire;
    }

    /** Queues text frames with {@code pad} bytes of padding each, without handing on the cork; returns their bytes. */
    private byte[] queueFrames(int first, int count, int pad) {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        for (int i = first; i < first + count; i++) {
            byte[] text = ("{\"type\":\"room_message\",\"room\":\"r\",\"offset\":" + i + ",\"data\":\"" + "x".repeat(pad) + "\"}")
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

    @Test
    void framesQueuedWhileBehindAreHeldAsSharedFramesAndCopiedInOrderAsTheChannelDrains() {
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(512, 1024));
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(queueFrames(0, 30, 50));
        queue.uncork(); // about 3 KB handed to the channel, not flushed: above the high-water mark
        assertThat(channel.isWritable()).isFalse();
        expected.writeBytes(queueFrames(30, 20, 50));
        queue.uncork(); // this cork is held: the channel is above its mark
        assertThat(queue.holding()).isTrue();
        // Behind now: small frames and one past the copy limit wait as the shared frames, released by the test
        // (queueFrames), so only the queue's own references keep their bytes.
        expected.writeBytes(queueFrames(50, 100, 50));
        byte[] large = queueFrames(150, 1, 2 * OutboundQueue.CORK_COPY_MAX_BYTES);
        expected.writeBytes(large);
        expected.writeBytes(queueFrames(151, 40, 50));
        assertThat(queue.queuedBytes()).as("owed: all of it (the channel's count adds its entries' overhead)")
                .isGreaterThanOrEqualTo(expected.size());

        List<byte[]> out = new ArrayList<>();
        List<Integer> capacities = new ArrayList<>();
        while (queue.holding() || channel.unsafe().outboundBuffer().totalPendingWriteBytes() > 0) {
            channel.flush(); // the peer reads: the channel drains below its low-water mark
            out.addAll(written(capacities));
            queue.drain();
        }
        channel.flush();
        out.addAll(written(capacities));
        assertThat(concat(out)).as("every frame whole and in order").isEqualTo(expected.toByteArray());
        assertThat(queue.queuedBytes()).isZero();
        assertThat(capacities).as("every buffer handed on is a cork, a power of two of at most the cork limit, or the"
                + " large frame's own bytes").allSatisfy(c -> assertThat(c == large.length
                        || Integer.bitCount(c) == 1 && c <= Buffers.CORK_MAX_BYTES).as("capacity %d", c).isTrue());
    }

    @Test
    void droppingTheQueueReleasesTheSharedFramesItHeld() {
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(64, 128));
        queueFrames(0, 5, 50);
        queue.uncork();
        queueFrames(5, 5, 50);
        queue.uncork();
        assertThat(queue.holding()).isTrue();
        PreEncodedFrame f = PreEncodedFrame.text(channel.alloc(), "{\"held\":true}".getBytes(StandardCharsets.UTF_8));
        ByteBuf bytes = f.retainedDuplicate();
        queue.queue(f, f.wireSize());
        f.release();
        assertThat(bytes.refCnt()).as("the queue's reference keeps the frame").isEqualTo(2);
        queue.dropQueued();
        assertThat(bytes.refCnt()).as("dropped: only the test's duplicate is left").isEqualTo(1);
        bytes.release();
        assertThat(queue.holding()).isFalse();
        channel.flush();
        written(new ArrayList<>());
    }
}
