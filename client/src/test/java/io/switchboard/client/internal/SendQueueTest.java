package io.switchboard.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.switchboard.client.SwitchboardClientException.SendQueueFullException;
import io.switchboard.testkit.LeakDetection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LeakDetection.class)
class SendQueueTest {
    private final SendQueue queue = new SendQueue(2, Runnable::run);

    @Test
    void aFullQueueRejectsAtOnceWithTheCapacityInTheMessage() {
        assertThat(queue.reserve(new CompletableFuture<>())).isTrue();
        assertThat(queue.reserve(new CompletableFuture<>())).isTrue();
        CompletableFuture<Void> third = new CompletableFuture<>();
        assertThat(queue.reserve(third)).isFalse();
        assertThatThrownBy(() -> third.get(1, TimeUnit.SECONDS))
                .cause().isInstanceOf(SendQueueFullException.class)
                .hasMessage("send queue full (2 commands waiting); the connection is down or too slow, retry later");
    }

    @Test
    void writtenFramesFreeTheirSlotsAndCompleteTheirFutures() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        CompletableFuture<Void> written = new CompletableFuture<>();
        assertThat(queue.reserve(written)).isTrue();
        queue.add(new QueuedFrame("{\"type\":\"ping\"}", null, null, written));
        assertThat(queue.writeTo(ch)).isTrue();
        ch.flush();
        written.get(1, TimeUnit.SECONDS);
        TextWebSocketFrame frame = ch.readOutbound();
        assertThat(frame.text()).isEqualTo("{\"type\":\"ping\"}");
        frame.release();
        assertThat(queue.reserve(new CompletableFuture<>())).isTrue();
        assertThat(queue.reserve(new CompletableFuture<>())).isTrue();
        assertFalse(ch.finish());
    }

    @Test
    void aRequestThatTimedOutWhileQueuedIsNeverSent() {
        EmbeddedChannel ch = new EmbeddedChannel();
        PendingRequest<Void> gaveUp = new PendingRequest<>("c1", "room_message", n -> null, new CompletableFuture<>(),
                Runnable::run);
        gaveUp.fail(new RuntimeException("timed out"));
        queue.reserve(gaveUp.future);
        queue.add(new QueuedFrame("{\"type\":\"room_message\"}", null, gaveUp, null));
        assertThat(queue.writeTo(ch)).isFalse();
        Object nothing = ch.readOutbound();
        assertThat(nothing).isNull();
        assertFalse(ch.finish());
    }
}
