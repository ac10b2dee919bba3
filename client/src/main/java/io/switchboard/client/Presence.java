package io.switchboard.client;

import java.util.List;

/** Members of a room, as answered to {@link SwitchboardClient#presence}. Immutable. */
public record Presence(String room, List<Member> members, int count) {
    public Presence {
        members = List.copyOf(members);
    }
}
