package io.switchboard.client;

import java.util.List;

/**
 * One page of a room's members, as answered to {@link SwitchboardClient#presence}: the members in member order
 * (none when the room sends counts only), how many the room has, and the cursor of the next page while more
 * remain (else null). Immutable.
 */
public record Presence(String room, List<Member> members, int count, String cursor) {
    public Presence {
        members = List.copyOf(members);
    }

    public Presence(String room, List<Member> members, int count) {
        this(room, members, count, null);
    }

    /** Whether {@link #cursor} asks for more. */
    public boolean hasMore() {
        return cursor != null;
    }
}
