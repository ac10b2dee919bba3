package io.switchboard.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The HTTP deadlines on their own, on the embedded channel's frozen clock: nothing here sleeps. A timer is
 * armed on the running clock before the test can freeze it, hence the margin around each deadline.
 */
class HttpDeadlineHandlerTest {
    private static final long MARGIN = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long FIRST = TimeUnit.SECONDS.toNanos(5);
    private static final long REQUEST = TimeUnit.SECONDS.toNanos(30);
    private static final long IDLE = TimeUnit.SECONDS.toNanos(60);

    private static EmbeddedChannel channel(HttpDeadlineHandler deadline) {
        EmbeddedChannel ch = new EmbeddedChannel(deadline);
        ch.freezeTime();
        return ch;
    }

    private static void advance(EmbeddedChannel ch, long nanos) {
        ch.advanceTimeBy(nanos, TimeUnit.NANOSECONDS);
        ch.runScheduledPendingTasks();
    }

    @Test
    void aConnectionWithoutACompleteFirstRequestIsClosedAtTheHandshakeDeadline() {
        EmbeddedChannel ch = channel(new HttpDeadlineHandler(FIRST, REQUEST, IDLE));
        advance(ch, FIRST - MARGIN);
        assertThat(ch.isOpen()).isTrue();
        advance(ch, 2 * MARGIN);
        assertThat(ch.isOpen()).isFalse();
        assertFalse(ch.finish());
    }

    @Test
    void bytesOfTheFirstRequestDoNotExtendItsDeadline() {
        EmbeddedChannel ch = channel(new HttpDeadlineHandler(FIRST, REQUEST, IDLE));
        advance(ch, FIRST / 2);
        ByteBuf part = Unpooled.copiedBuffer(new byte[] {'G'});
        ch.writeInbound(part);
        ((ByteBuf) ch.readInbound()).release();
        advance(ch, FIRST / 2 + MARGIN);
        assertThat(ch.isOpen()).isFalse();
        assertFalse(ch.finish());
    }

    @Test
    void betweenRequestsTheConnectionIdlesUntilTheIdleTimeoutAndTheNextRequestHasTheReadTimeout() {
        HttpDeadlineHandler deadline = new HttpDeadlineHandler(FIRST, REQUEST, IDLE);
        EmbeddedChannel ch = channel(deadline);
        deadline.requestComplete();
        advance(ch, IDLE - MARGIN);
        assertThat(ch.isOpen()).isTrue();
        ch.writeInbound(Unpooled.copiedBuffer(new byte[] {'G'}));
        ((ByteBuf) ch.readInbound()).release();
        advance(ch, REQUEST - MARGIN);
        assertThat(ch.isOpen()).isTrue();
        advance(ch, 2 * MARGIN);
        assertThat(ch.isOpen()).isFalse();
        assertFalse(ch.finish());
    }

    @Test
    void removedOnTheUpgradeItClosesNothing() {
        HttpDeadlineHandler deadline = new HttpDeadlineHandler(FIRST, REQUEST, IDLE);
        EmbeddedChannel ch = channel(deadline);
        ch.pipeline().remove(deadline);
        advance(ch, IDLE + REQUEST + FIRST);
        assertThat(ch.isOpen()).isTrue();
        assertFalse(ch.finish());
    }
}
