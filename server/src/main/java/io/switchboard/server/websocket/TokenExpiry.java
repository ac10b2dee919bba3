package io.switchboard.server.websocket;

import io.netty.util.concurrent.EventExecutor;
import io.switchboard.core.DisconnectReason;
import io.switchboard.core.auth.Grants;
import io.switchboard.core.hub.Connection;
import io.switchboard.protocol.CloseCode;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection with 4001 once its token expired (plus the clock skew), unless a {@code refresh}
 * replaced the grants with later ones meanwhile: then checks again at the new expiry. Runs on the
 * connection's event loop.
 */
final class TokenExpiry {
    private TokenExpiry() {
    }

    /** Schedules the check for the connection's current grants; nothing when they never expire. */
    static void schedule(EventExecutor loop, NettySession session, WebSocketContext context) {
        Connection connection = session.connection();
        Grants current = connection.grants();
        if (!current.expires() || session.closing()) {
            return;
        }
        long delay = Math.max(0, current.expiresAtMillis() + context.expiryGraceMillis()
                - context.hub().time().currentTimeMillis());
        loop.schedule(() -> {
            if (connection.grants().expiresAtMillis() != current.expiresAtMillis()) {
                schedule(loop, session, context);
            } else if (!session.closing() && session.channel().isActive()) {
                context.counters().tokenExpiredCloses.increment();
                context.hub().close(connection, CloseCode.TOKEN_EXPIRED, "token expired",
                        DisconnectReason.TOKEN_EXPIRED);
            }
        }, delay, TimeUnit.MILLISECONDS);
    }
}
