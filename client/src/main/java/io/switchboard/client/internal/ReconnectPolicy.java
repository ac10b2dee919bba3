package io.switchboard.client.internal;

import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.internal.Backoff;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Whether and when to reconnect after a connection ended: the close-code table
 * ({@link CloseCode#retry()}), the HTTP status of a rejected upgrade, the server's
 * {@code reconnectAfterMs} hint, and backoff with full jitter.
 *
 * <p>Confined to the client's event loop.
 */
final class ReconnectPolicy {
    /** Two token expiries (4001) closer than this: the supplier's token is stale, back off. */
    static final long TOKEN_REFRESH_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final Backoff backoff;
    private final LongSupplier nanoTime;
    /** When the last reconnect without backoff after 4001 happened, or Long.MIN_VALUE. */
    private long lastImmediateRefreshNanos = Long.MIN_VALUE;

    ReconnectPolicy(Backoff backoff, LongSupplier nanoTime) {
        this.backoff = backoff;
        this.nanoTime = nanoTime;
    }

    /**
     * The retry class of an ending: the table for close frames (unknown codes back off), 429 and
     * 5xx for a rejected upgrade back off while other statuses will not change, and a connection
     * lost without a close frame (1006) backs off.
     */
    static CloseCode.Retry retryFor(int code, boolean fromCloseFrame) {
        if (fromCloseFrame) {
            CloseCode known = CloseCode.of(code);
            return known == null ? CloseCode.Retry.BACKOFF : known.retry();
        }
        if (code >= 100 && code < 600) {
            return code == 429 || code >= 500 ? CloseCode.Retry.BACKOFF : CloseCode.Retry.NEVER;
        }
        return CloseCode.Retry.BACKOFF;
    }

    /**
     * The delay before the next attempt, or {@code null} for none.
     *
     * @param attempt consecutive failed attempts since the last welcome (the backoff exponent)
     * @param shutdownHintMillis {@code reconnectAfterMs} of a server_shutdown on that connection, or -1
     */
    Duration delay(int code, boolean fromCloseFrame, int attempt, long shutdownHintMillis) {
        return switch (retryFor(code, fromCloseFrame)) {
            case NEVER -> null;
            case AFTER_HINT -> shutdownHintMillis >= 0 ? Duration.ofMillis(shutdownHintMillis) : backoff.delay(attempt);
            case REFRESH_TOKEN -> refreshNow() ? Duration.ZERO : backoff.delay(attempt);
            case BACKOFF -> backoff.delay(attempt);
        };
    }

    /**
     * After 4001 the first reconnect is immediate (a fresh token is all it takes); a second 4001
     * within {@link #TOKEN_REFRESH_WINDOW_NANOS} means the supplier hands out stale tokens, so back
     * off instead of looping.
     */
    private boolean refreshNow() {
        long now = nanoTime.getAsLong();
        boolean first = lastImmediateRefreshNanos == Long.MIN_VALUE
                || now - lastImmediateRefreshNanos > TOKEN_REFRESH_WINDOW_NANOS;
        if (first) {
            lastImmediateRefreshNanos = now;
        }
        return first;
    }
}
