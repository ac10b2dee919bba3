package io.switchboard.core.hub;

import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ServerMessage;
import io.switchboard.protocol.ServerMessage.Member;
import java.util.ArrayList;
import java.util.List;

/**
 * How a room's members hear of joins and leaves. In a room of at most {@code presence.diffAboveMembers}
 * members each change is its own notice ({@code user_joined_room}, {@code user_left_room}), sent at once; in a
 * larger one, where n arrivals would cost n² notices, the changes are gathered and sent as one
 * {@code presence_diff} per {@code presence.diffInterval}. A diff lists at most {@code presence.joinMembersLimit}
 * joins and as many leaves; beyond, it says {@code truncated} (overflow policy: drop the names, keep the count)
 * and the metric counts it. A namespace with {@code joinLeave: false} sends neither.
 *
 * <p>Thread-safe: {@link #changed} runs under the room's monitor, the flush takes it on the hub's timer.
 */
final class PresenceDiffs {
    private final HubContext ctx;
    private final JsonCodec codec;
    private final FanOut fanOut;

    PresenceDiffs(HubContext ctx, FanOut fanOut) {
        this.ctx = ctx;
        this.codec = ctx.codec();
        this.fanOut = fanOut;
    }

    /**
     * One join or leave in the room, here or on another node: its notice now, or into the room's next diff.
     * {@code exclude}: a member that must not get the notice (the joiner itself), or null. The caller has
     * already moved {@link Room#knownCount}. Caller holds the monitor.
     */
    void changed(Room room, boolean joined, String userId, String connId, byte[] notice, Connection exclude) {
        if (!room.policy.joinLeave() || room.members.isEmpty()) {
            return;
        }
        if (room.diff == null && room.knownCount <= ctx.config().presence().diffAboveMembers()) {
            fanOut.fanOutLocked(room, notice, exclude, FanOut.UNNUMBERED);
            return;
        }
        if (room.diff == null) {
            room.diff = new Diff();
            ctx.scheduler().schedule(() -> flush(room), ctx.config().presence().diffInterval().toNanos());
        }
        room.diff.add(joined, new Member(userId, connId), ctx.config().presence().joinMembersLimit());
    }

    /** Sends the room's gathered changes as one {@code presence_diff}. Timer thread. */
    private void flush(Room room) {
        synchronized (room) {
            Diff diff = room.diff;
            room.diff = null;
            if (diff == null || room.removed || room.members.isEmpty() || diff.isEmpty()) {
                return;
            }
            if (diff.truncated) {
                ctx.metrics().presenceDiffTruncated();
            }
            byte[] json = codec.encode(new ServerMessage.PresenceDiff(room.name, diff.joins, diff.leaves,
                    room.knownCount, diff.truncated ? Boolean.TRUE : null));
            fanOut.fanOutLocked(room, json, null, FanOut.UNNUMBERED);
        }
    }

    /** The changes of one interval. Guarded by its room's monitor. */
    static final class Diff {
        final List<Member> joins = new ArrayList<>();
        final List<Member> leaves = new ArrayList<>();
        boolean truncated;

        void add(boolean joined, Member m, int max) {
            // A member that came and went within the interval is no change at all.
            if (!joined && joins.removeIf(j -> j.connId().equals(m.connId()))) {
                return;
            }
            List<Member> to = joined ? joins : leaves;
            if (to.size() < max) {
                to.add(m);
            } else {
                truncated = true;
            }
        }

        boolean isEmpty() {
            return joins.isEmpty() && leaves.isEmpty() && !truncated;
        }
    }
}
