package io.switchboard.protocol;

import io.switchboard.protocol.internal.EditDistance;
import java.util.List;
import java.util.Locale;

/** The command types a client may send, and the one a mistyped type most likely meant. */
final class CommandTypes {
    /** Every command type, without the legacy aliases ({@code join}, {@code leave}). */
    static final List<String> KNOWN = List.of(Command.Ping.TYPE, Command.Echo.TYPE, Command.JoinRoom.TYPE,
            Command.LeaveRoom.TYPE, Command.RoomMessage.TYPE, Command.PrivateMessage.TYPE, Command.Broadcast.TYPE,
            Command.Presence.TYPE, Command.History.TYPE, Command.Refresh.TYPE, Command.Rpc.TYPE);
    /** Longer input gets no suggestion: it is not a typo, and the comparison stays cheap for any frame. */
    private static final int MAX_TYPED = 32;

    private CommandTypes() {
    }

    /**
     * The known type {@code typed} most likely meant (case, {@code -} or a space for {@code _}, or up to a third
     * of the letters wrong), or null when none is close.
     */
    static String closest(String typed) {
        if (typed.isEmpty() || typed.length() > MAX_TYPED) {
            return null;
        }
        String normalized = typed.toLowerCase(Locale.ROOT).replace('-', '_').replace(' ', '_');
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String known : KNOWN) {
            int d = EditDistance.between(normalized, known);
            if (d < bestDistance) {
                bestDistance = d;
                best = known;
            }
        }
        return bestDistance <= Math.max(1, best.length() / 3) ? best : null;
    }
}
