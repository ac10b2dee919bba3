package io.switchboard.client;

import java.util.List;

/** Retained messages of a room, oldest first, as answered to {@link SwitchboardClient#history}. Immutable. */
public record History(String room, String epoch, List<RoomMessage> messages) {
    public History {
        messages = List.copyOf(messages);
    }
}
