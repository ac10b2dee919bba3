package io.switchboard.core.hub;

import io.switchboard.core.DisconnectReason;
import io.switchboard.protocol.CloseCode;

/**
 * Closes a connection with a code and removes it from the hub. The Hub hands its pieces one of these
 * instead of itself; which thread may call it is stated where it is handed over.
 */
@FunctionalInterface
interface MemberCloser {
    void close(Connection c, CloseCode code, String reason, DisconnectReason why);
}
