package io.switchboard.core.command;

import io.switchboard.core.HubException;
import io.switchboard.core.presence.PresenceStore;
import io.switchboard.protocol.ErrorCode;
import io.switchboard.protocol.Names;
import io.switchboard.protocol.ServerMessage.Member;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The {@code cursor} of a {@code presence} page: the last listed member's place in member order, base64url,
 * so that the next page starts right after it whoever joined or left meanwhile. Opaque to clients; the same for
 * the {@code presence} command and {@code GET /api/presence}. Stateless.
 */
public final class PresenceCursor {
    private PresenceCursor() {
    }

    /** The cursor that continues after {@code last}. */
    public static String after(Member last) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(
                PresenceStore.orderKey(last.userId(), last.connId()).getBytes(StandardCharsets.UTF_8));
    }

    /** The order key a cursor continues after; null for none. */
    public static String decode(String cursor) throws HubException {
        if (cursor == null) {
            return null;
        }
        String key;
        try {
            key = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw invalid();
        }
        int nul = key.indexOf('\0');
        if (nul < 0 || !Names.isValidUserId(key.substring(0, nul)) || key.indexOf('\0', nul + 1) >= 0
                || key.length() - nul - 1 > 128) {
            throw invalid();
        }
        return key;
    }

    private static HubException invalid() {
        return new HubException(ErrorCode.INVALID_FIELD, "cursor is not one a presence reply gave");
    }
}
