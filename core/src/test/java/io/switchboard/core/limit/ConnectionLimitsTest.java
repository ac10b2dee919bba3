package io.switchboard.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.core.TimeSource;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ConnectionLimitsTest {
    private final AtomicLong now = new AtomicLong();
    private final TimeSource time = new TimeSource() {
        @Override
        public long nanoTime() {
            return now.get();
        }

        @Override
        public long currentTimeMillis() {
            return now.get() / 1_000_000;
        }
    };

    @Test
    void aRefusedAcquisitionTakesNoSlotAndReleaseFreesBoth() {
        ConnectionLimits limits = new ConnectionLimits(2, 1, 0, time);
        assertThat(limits.tryAcquire("10.0.0.1", "alice")).isNull();
        assertThat(limits.tryAcquire("10.0.0.1", "alice")).isEqualTo(ConnectionLimits.Refusal.PER_USER);
        assertThat(limits.connectionsFromIp("10.0.0.1")).isEqualTo(1);
        assertThat(limits.tryAcquire("10.0.0.1", "bob")).isNull();
        assertThat(limits.tryAcquire("10.0.0.1", "carol")).isEqualTo(ConnectionLimits.Refusal.PER_IP);
        limits.release("10.0.0.1", "alice");
        limits.release("10.0.0.1", "bob");
        assertThat(limits.connectionsFromIp("10.0.0.1")).isZero();
        assertThat(limits.connectionsOfUser("alice")).isZero();
    }

    @Test
    void handshakesPerSecondAreCountedPerAddress() {
        ConnectionLimits limits = new ConnectionLimits(0, 0, 2, time);
        assertThat(limits.tryHandshake("a")).isTrue();
        assertThat(limits.tryHandshake("a")).isTrue();
        assertThat(limits.tryHandshake("a")).isFalse();
        assertThat(limits.tryHandshake("b")).isTrue();
        now.addAndGet(500_000_000L);
        assertThat(limits.tryHandshake("a")).isTrue();
        assertThat(limits.tryHandshake("a")).isFalse();
    }
}
