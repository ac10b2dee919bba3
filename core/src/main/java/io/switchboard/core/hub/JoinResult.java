package io.switchboard.core.hub;

import io.switchboard.core.history.HistoryStore.Position;
import io.switchboard.protocol.ServerMessage.Member;
import io.switchboard.protocol.ServerMessage.RoomMessage;
import java.util.List;

/**
 * The outcome of a join: who is in the room (the first {@code presence.joinMembersLimit} in member order, and
 * how many in all), where its history stands, and what to replay first.
 *
 * @param truncated {@code members} holds only the first of {@code count}
 * @param latest {@code delivery: latest}: the room's newest message (JSON), sent right after {@code room_joined};
 *     null when there is none or the room delivers every message
 */
public record JoinResult(String room, List<Member> members, int count, boolean truncated, Position position,
                         Boolean recovered, List<RoomMessage> replay, List<byte[]> replayFrames, byte[] latest) {
    public JoinResult(String room, List<Member> members, int count, boolean truncated, Position position,
                      Boolean recovered, List<RoomMessage> replay, List<byte[]> replayFrames) {
        this(room, members, count, truncated, position, recovered, replay, replayFrames, null);
    }

    /** Every member listed. */
    public JoinResult(String room, List<Member> members, Position position, Boolean recovered,
                      List<RoomMessage> replay, List<byte[]> replayFrames) {
        this(room, members, members.size(), false, position, recovered, replay, replayFrames);
    }

    public JoinResult(String room, List<Member> members, Position position, Boolean recovered,
                      List<RoomMessage> replay) {
        this(room, members, position, recovered, replay, List.of());
    }
}
