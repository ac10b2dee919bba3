package io.switchboard.core.hub;

import io.switchboard.protocol.ServerMessage.Member;
import java.util.List;

/** A room as the backend API shows it: its members in the cluster and its history position. */
public record RoomInfo(String room, List<Member> members, long offset, String epoch) {
}
