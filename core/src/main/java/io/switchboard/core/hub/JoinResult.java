package io.switchboard.core.hub;

import io.switchboard.core.history.HistoryStore.Position;
import io.switchboard.protocol.ServerMessage.Member;
import io.switchboard.protocol.ServerMessage.RoomMessage;
import java.util.List;

/** The outcome of a join: who is in the room, where its history stands, and what to replay first. */
public record JoinResult(String room, List<Member> members, Position position, Boolean recovered,
                         List<RoomMessage> replay, List<byte[]> replayFrames) {
    public JoinResult(String room, List<Member> members, Position position, Boolean recovered,
                      List<RoomMessage> replay) {
        this(room, members, position, recovered, replay, List.of());
    }
}
