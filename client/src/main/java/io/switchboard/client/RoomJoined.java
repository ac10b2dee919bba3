package io.switchboard.client;

import java.util.List;

/**
 * The server's answer to a join: who is in the room and where its history stands. Immutable.
 *
 * @param room the room
 * @param members members at the time of the join, this connection included
 * @param offset offset of the last message published to the room
 * @param epoch identity of the history behind the offsets; changes when that history is lost
 * @param recovered {@code null} for a first join; for a rejoin after a reconnect, whether every
 *                  missed message was replayed ({@code false}: resync from your source of truth)
 */
public record RoomJoined(String room, List<Member> members, long offset, String epoch, Boolean recovered) {
    public RoomJoined {
        members = List.copyOf(members);
    }
}
