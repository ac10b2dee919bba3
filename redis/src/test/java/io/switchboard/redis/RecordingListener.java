package io.switchboard.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.core.broker.Broker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Records what a broker delivers: messages as "channel=text", and the number of reconnects. Thread-safe. */
final class RecordingListener implements Broker.Listener {
    final AtomicInteger reconnects = new AtomicInteger();
    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();

    @Override
    public void onMessage(String channel, byte[] payload) {
        messages.add(channel + "=" + new String(payload, StandardCharsets.UTF_8));
    }

    @Override
    public void onReconnected() {
        reconnects.incrementAndGet();
    }

    /** The next message, which must arrive within {@code max}. */
    String next(Duration max) throws InterruptedException {
        String m = messages.poll(max.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(m).as("a message within %s", max).isNotNull();
        return m;
    }

    /** Skips messages until {@code expected} arrives, all within {@code max}. */
    void awaitMessage(String expected, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String m = messages.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
            assertThat(m).as("%s within %s", expected, max).isNotNull();
            if (m.equals(expected)) {
                return;
            }
        }
    }
}
