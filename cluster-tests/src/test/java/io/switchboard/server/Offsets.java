package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Collects what a test client received of one room and checks the delivery contract on it. */
final class Offsets {
    final List<Long> offsets = new ArrayList<>();
    final List<JsonNode> others = new ArrayList<>();

    /** Moves every message the client holds now into this record. */
    Offsets drain(WsClient c) {
        JsonNode m;
        while ((m = c.messages.poll()) != null) {
            take(m);
        }
        return this;
    }

    /** Drains until the client holds offset {@code last}, or fails after {@code timeoutMillis}. */
    Offsets awaitOffset(WsClient c, long last, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (lastOffset() < last) {
            long left = deadline - System.nanoTime();
            assertThat(left).as("offset %d within %d ms; got up to %d", last, timeoutMillis, lastOffset())
                    .isPositive();
            JsonNode m = c.messages.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS);
            if (m != null) {
                take(m);
            }
        }
        return this;
    }

    void take(JsonNode m) {
        if (m.path("type").asText().equals("room_message")) {
            offsets.add(m.path("offset").asLong());
        } else {
            others.add(m);
        }
    }

    long lastOffset() {
        return offsets.isEmpty() ? 0 : offsets.get(offsets.size() - 1);
    }

    /** Every offset from {@code first} to {@code last}, each once, in order. */
    void assertContiguous(long first, long last) {
        List<Long> expected = new ArrayList<>();
        for (long o = first; o <= last; o++) {
            expected.add(o);
        }
        assertThat(offsets).as("offsets %d..%d exactly once, in order", first, last).isEqualTo(expected);
    }
}
