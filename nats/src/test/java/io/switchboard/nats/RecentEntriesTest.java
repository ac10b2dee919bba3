package io.switchboard.nats;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class RecentEntriesTest {
    private static HistoryEntry entry(long offset, String epoch, int bytes) {
        return new HistoryEntry(offset * 10, offset, epoch, Instant.EPOCH, new byte[bytes]);
    }

    @Test
    void servesARangeOnlyWhenItHoldsEveryOffsetOfItInTheAskedEpoch() {
        RecentEntries recent = new RecentEntries(100, 1 << 20);
        for (long o = 5; o <= 9; o++) {
            recent.add("r", entry(o, "e1", 10));
        }
        assertThat(recent.range("r", "e1", 4, 9)).extracting(HistoryEntry::offset).containsExactly(5L, 6L, 7L, 8L, 9L);
        assertThat(recent.range("r", "e1", 6, 8)).extracting(HistoryEntry::offset).containsExactly(7L, 8L);
        assertThat(recent.range("r", "e1", 3, 9)).as("offset 4 is not held").isNull();
        assertThat(recent.range("r", "e1", 6, 10)).as("offset 10 is not held").isNull();
        assertThat(recent.range("r", "e2", 6, 8)).as("another epoch").isNull();
        assertThat(recent.newest("r", "e1", 6)).extracting(HistoryEntry::offset).isEqualTo(9L);
    }

    @Test
    void aMessageThatDoesNotContinueTheRunStartsANewOne() {
        RecentEntries recent = new RecentEntries(100, 1 << 20);
        recent.add("r", entry(1, "e1", 10));
        recent.add("r", entry(2, "e1", 10));
        recent.add("r", entry(2, "e1", 10));
        recent.add("r", entry(5, "e1", 10));
        assertThat(recent.range("r", "e1", 0, 2)).as("the gap at 3 and 4 dropped the old run").isNull();
        assertThat(recent.range("r", "e1", 4, 5)).extracting(HistoryEntry::offset).containsExactly(5L);
        recent.add("r", entry(1, "e2", 10));
        assertThat(recent.range("r", "e2", 0, 1)).hasSize(1);
        assertThat(recent.range("r", "e1", 4, 5)).isNull();
    }

    @Test
    void keepsAtMostItsPerRoomCountAndForgetsTheLeastRecentlyUsedRoomBeyondItsBytes() {
        RecentEntries recent = new RecentEntries(3, 100);
        for (long o = 1; o <= 5; o++) {
            recent.add("a", entry(o, "e", 10));
        }
        assertThat(recent.range("a", "e", 2, 5)).extracting(HistoryEntry::offset).containsExactly(3L, 4L, 5L)
                .hasSize(3);
        assertThat(recent.range("a", "e", 1, 5)).as("offset 2 went with the count").isNull();
        recent.add("b", entry(1, "e", 40));
        recent.add("b", entry(2, "e", 40));
        assertThat(recent.range("a", "e", 2, 5)).as("30 + 80 bytes: room a, least recently used, went").isNull();
        assertThat(recent.range("b", "e", 0, 2)).hasSize(2);
        assertThat(recent.evictions()).isEqualTo(1);
    }
}
