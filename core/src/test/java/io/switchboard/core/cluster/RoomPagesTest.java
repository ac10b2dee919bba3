package io.switchboard.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Paging the union of several nodes' rooms by merging each node's first {@code limit + 1} is exact. */
class RoomPagesTest {

    @Test
    void pagingTheMergedPagesOfRandomNodesVisitsEveryMatchingRoomOnceWithItsSummedMembers() {
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            int nodes = 1 + random.nextInt(4);
            TreeMap<String, Integer> truth = new TreeMap<>();
            List<List<RoomCount>> perNode = new ArrayList<>();
            for (int n = 0; n < nodes; n++) {
                TreeMap<String, Integer> mine = new TreeMap<>();
                int rooms = random.nextInt(40);
                for (int r = 0; r < rooms; r++) {
                    mine.put("room-" + random.nextInt(60), 1 + random.nextInt(5));
                }
                mine.forEach((room, members) -> truth.merge(room, members, Integer::sum));
                perNode.add(mine.entrySet().stream().map(e -> new RoomCount(e.getKey(), e.getValue())).toList());
            }
            int limit = 1 + random.nextInt(12);
            String prefix = random.nextBoolean() ? null : "room-" + random.nextInt(10);
            List<RoomCount> seen = new ArrayList<>();
            String after = null;
            for (int guard = 0; guard < 100; guard++) {
                List<List<RoomCount>> pages = new ArrayList<>();
                for (List<RoomCount> node : perNode) {
                    pages.add(RoomPages.slice(node, after, prefix, limit + 1));
                }
                NodeRegistry.RoomPage page = RoomPages.merge(pages, limit, List.of());
                assertThat(page.rooms().size()).isLessThanOrEqualTo(limit);
                seen.addAll(page.rooms());
                if (!page.more()) {
                    break;
                }
                assertThat(page.rooms()).as("a page that says more is full").hasSize(limit);
                after = page.rooms().get(page.rooms().size() - 1).room();
            }
            List<RoomCount> expected = truth.entrySet().stream()
                    .filter(e -> prefix == null || e.getKey().startsWith(prefix))
                    .map(e -> new RoomCount(e.getKey(), e.getValue())).toList();
            assertThat(seen).as("round %d, %d nodes, limit %d, prefix %s", round, nodes, limit, prefix)
                    .isEqualTo(expected);
        }
    }

    @Test
    void aSliceStartsAfterTheCursorEvenWhenTheCursorIsNotARoomOfTheNode() {
        List<RoomCount> rooms = List.of(new RoomCount("a", 1), new RoomCount("c", 1), new RoomCount("e", 1));
        assertThat(RoomPages.slice(rooms, "b", null, 5)).extracting(RoomCount::room).containsExactly("c", "e");
        assertThat(RoomPages.slice(rooms, "c", null, 1)).extracting(RoomCount::room).containsExactly("e");
        assertThat(RoomPages.slice(rooms, "z", null, 5)).isEmpty();
        assertThat(RoomPages.slice(rooms, null, null, 2)).extracting(RoomCount::room).containsExactly("a", "c");
    }

    @Test
    void aSliceWithAPrefixHoldsOnlyTheRoomsThatStartWithIt() {
        List<RoomCount> rooms = List.of(new RoomCount("chat", 1), new RoomCount("chat:a", 1), new RoomCount("chat:b", 1),
                new RoomCount("chatter", 1), new RoomCount("news", 1));
        assertThat(RoomPages.slice(rooms, null, "chat:", 5)).extracting(RoomCount::room)
                .containsExactly("chat:a", "chat:b");
        assertThat(RoomPages.slice(rooms, "chat:a", "chat:", 5)).extracting(RoomCount::room).containsExactly("chat:b");
        assertThat(RoomPages.slice(rooms, "a", "chat", 2)).extracting(RoomCount::room).containsExactly("chat", "chat:a");
        assertThat(RoomPages.slice(rooms, null, "zz", 5)).isEmpty();
    }
}
