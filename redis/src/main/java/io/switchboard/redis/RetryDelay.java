package io.switchboard.redis;

import io.lettuce.core.resource.Delay;
import io.switchboard.protocol.internal.Backoff;
import java.time.Duration;
import java.util.Random;

/**
 * The wait between two attempts to reach Redis: the shared {@link Backoff} from 100 ms up to 5 s, so
 * that the nodes of a cluster do not all knock at the same instant when Redis comes back. Used both for
 * the first connection (our own loop) and, as this Lettuce {@link Delay}, for Lettuce's reconnects.
 * Thread-safe.
 */
final class RetryDelay extends Delay {
    static final Duration MIN = Duration.ofMillis(100);
    static final Duration MAX = Duration.ofSeconds(5);
    /** What Lettuce's reconnects wait. */
    static final RetryDelay LETTUCE = new RetryDelay();

    private static final Backoff BACKOFF = Backoff.atLeast(MIN, MAX, new Random());

    private RetryDelay() {
    }

    /**
     * The wait before attempt {@code attempt + 1}, after {@code attempt} failures (from 1): within
     * {@code [100 ms, min(5 s, 100 ms * 2^(attempt - 1))]}, the bounds Lettuce's own jitter had.
     */
    static Duration after(long attempt) {
        return BACKOFF.delay(attempt - 1);
    }

    /** Lettuce counts its reconnect attempts from 1, as {@link #after} does. */
    @Override
    public Duration createDelay(long attempt) {
        return after(attempt);
    }
}
