package io.switchboard.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Runs with the leak detector at paranoid (the parent pom's test argLine). */
@ExtendWith(LeakDetection.class)
class LeakDetectionTest {
    @Test
    void aBufferCollectedWithoutReleaseIsReported() throws InterruptedException {
        leakOne();
        List<String> leaks = LeakDetection.collectLeaks();
        assertThat(leaks).isNotEmpty();
        assertThat(leaks.get(0)).contains("ByteBuf leaked");
        assertThat(LeakDetection.collectLeaks()).as("reports are forgotten once collected").isEmpty();
    }

    @Test
    void releasedBuffersAreNotReported() throws InterruptedException {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        b.writeInt(1);
        b.release();
        assertThat(LeakDetection.collectLeaks()).isEmpty();
    }

    private static void leakOne() {
        ByteBuf leaked = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        leaked.writeInt(42);
    }

    @Test
    void onlyLettucesUntouchedReadBufferIsExcused() {
        String created = "\n\tio.netty.buffer.AbstractByteBufAllocator.buffer(AbstractByteBufAllocator.java:96)"
                + "\n\tio.lettuce.core.protocol.CommandHandler.channelRegistered(CommandHandler.java:224)\n";
        assertThat(LeakDetection.lettuceReadBufferOfAChannelThatNeverRead(
                "\nRecent access records: \nCreated at:" + created)).isTrue();
        assertThat(LeakDetection.lettuceReadBufferOfAChannelThatNeverRead(
                "\nRecent access records: \n#1:\n\tio.netty.buffer.AdvancedLeakAwareByteBuf.writeBytes(X.java:1)"
                        + "\nCreated at:" + created)).as("it carried data").isFalse();
        assertThat(LeakDetection.lettuceReadBufferOfAChannelThatNeverRead(
                "\nRecent access records: \nCreated at:\n\tio.switchboard.server.websocket.PreEncodedFrame.text(P.java:1)"))
                .as("ours").isFalse();
    }
}
