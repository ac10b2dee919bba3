package io.switchboard.core.hub;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Memberships} answers as a map of room name to membership would, in array and in map form. */
class MembershipsTest {

    @Test
    void answersAsAMapDoesThroughJoinsAndLeavesAcrossTheArrayLimit() {
        Random random = new Random(42);
        Memberships rooms = new Memberships();
        Map<String, Membership> expected = new HashMap<>();
        int mapped = 0;
        for (int step = 0; step < 20_000; step++) {
            String name = "r" + random.nextInt(Memberships.ARRAY_MAX * 3);
            switch (random.nextInt(3)) {
                case 0, 1 -> {
                    Membership m = membership(name);
                    rooms.put(m);
                    expected.put(name, m);
                }
                default -> assertThat(rooms.remove(name)).isSameAs(expected.remove(name));
            }
            assertThat(rooms.size()).isEqualTo(expected.size());
            String probe = "r" + random.nextInt(Memberships.ARRAY_MAX * 3);
            assertThat(rooms.get(probe)).isSameAs(expected.get(probe));
            assertThat(rooms.contains(probe)).isEqualTo(expected.containsKey(probe));
            assertThat(rooms.names()).containsExactlyInAnyOrderElementsOf(expected.keySet());
            List<Membership> walked = new ArrayList<>();
            rooms.forEach(walked::add);
            assertThat(walked).containsExactlyInAnyOrderElementsOf(expected.values());
            mapped += expected.size() > Memberships.ARRAY_MAX ? 1 : 0;
            if (random.nextInt(500) == 0) {
                rooms.clear();
                expected.clear();
            }
        }
        assertThat(mapped).as("the walk went past the array limit").isPositive();
    }

    @Test
    void aMembershipRemovedWhileWalkingTheArrayDoesNotDisturbTheWalk() {
        Memberships rooms = new Memberships();
        for (int i = 0; i < 3; i++) {
            rooms.put(membership("r" + i));
        }
        List<String> walked = new ArrayList<>();
        for (Membership m : rooms) {
            walked.add(m.room.name);
            rooms.remove(m.room.name);
        }
        assertThat(walked).containsExactly("r0", "r1", "r2");
        assertThat(rooms.size()).isZero();
    }

    private static Membership membership(String room) {
        return new Membership(null, new Room(room, null), 0);
    }
}
