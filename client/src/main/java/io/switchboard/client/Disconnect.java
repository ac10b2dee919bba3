package io.switchboard.client;

import java.time.Duration;

/**
 * Why a connection ended and what the client does next. Immutable.
 *
 * @param code the close code from the server's close frame; {@code 1006} when the connection was
 *             lost without one (network failure, dead-connection timeout, refused connection), and
 *             the HTTP status (e.g. {@code 401}, {@code 503}) when the upgrade was rejected
 * @param reason the close reason or a description of the failure
 * @param reconnecting whether the client will try again
 * @param delay how long the client waits before the next attempt; {@link Duration#ZERO} when not reconnecting
 */
public record Disconnect(int code, String reason, boolean reconnecting, Duration delay) {
    /** Close code used when a connection ends without a close frame (RFC 6455 section 7.1.5). */
    public static final int ABNORMAL = 1006;
}
