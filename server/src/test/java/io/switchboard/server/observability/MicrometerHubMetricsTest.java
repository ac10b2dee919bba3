package io.switchboard.server.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.core.DisconnectReason;
import io.switchboard.core.metrics.HubMetrics;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** The hot-path contract of {@link HubMetrics}: recording allocates nothing. */
class MicrometerHubMetricsTest {

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    private static void recordOneMessage(MicrometerHubMetrics m, int i) {
        m.messageReceived(HubMetrics.FrameType.TEXT, 100 + (i & 255));
        m.commandProcessed(null, null, "room_message", 0, 10_000 + i, null);
        m.messagesSent(HubMetrics.FrameType.TEXT, 1, 50);
        m.messagesSent(HubMetrics.FrameType.BINARY, 40, 5_000);
        m.commandFailed("not_in_room");
        m.decodeFailed("invalid_json");
        m.transportError("bad_binary");
        m.roomJoined(i & 1023);
        m.connectionOpened();
        m.connectionClosed(DisconnectReason.SLOW_CONSUMER, 1_000_000L * i);
        m.deliveryDropped();
    }

    @Test
    void recordingAllocatesNothingOnceWarm() {
        MicrometerHubMetrics m = new MicrometerHubMetrics();
        try {
            for (int i = 0; i < 200_000; i++) {
                recordOneMessage(m, i);
            }
            int n = 100_000;
            long before = allocated();
            for (int i = 0; i < n; i++) {
                recordOneMessage(m, i);
            }
            long bytes = allocated() - before;
            // A few hundred bytes of slack for the measurement itself; per call it must round to zero.
            assertThat(bytes).as("bytes allocated by %d recordings", n).isLessThan(1024);
        } finally {
            m.close();
        }
    }
}
