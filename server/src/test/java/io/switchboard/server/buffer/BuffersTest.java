package io.switchboard.server.buffer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BuffersTest {
    @Test
    void corkCapacitiesArePowersOfTwoWithinBounds() {
        assertThat(Buffers.corkCapacity(0)).isEqualTo(256);
        assertThat(Buffers.corkCapacity(256)).isEqualTo(256);
        assertThat(Buffers.corkCapacity(257)).isEqualTo(512);
        assertThat(Buffers.corkCapacity(5000)).isEqualTo(8192);
        assertThat(Buffers.corkCapacity(16384)).isEqualTo(16384);
        assertThat(Buffers.corkCapacity(1 << 20)).isEqualTo(16384);
    }
}
