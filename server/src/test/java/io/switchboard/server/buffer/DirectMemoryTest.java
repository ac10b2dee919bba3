package io.switchboard.server.buffer;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

class DirectMemoryTest {
    private static final int MIB = 1024 * 1024;

    /**
     * Where the JDK allocates Netty's direct buffers (JDK 17 without {@code --add-opens}), both the JDK's
     * and Netty's counters count them; the reading must count a buffer once.
     */
    @Test
    void aNettyDirectBufferIsCountedOnce() {
        long before = DirectMemory.used();
        ByteBuf buf = UnpooledByteBufAllocator.DEFAULT.directBuffer(32 * MIB);
        try {
            long grown = DirectMemory.used() - before;
            // Other tests' buffers come and go meanwhile; a buffer counted twice would show 64 MiB.
            assertThat(grown).isBetween(32L * MIB - 4 * MIB, 32L * MIB + 8 * MIB);
        } finally {
            buf.release();
        }
    }
}
