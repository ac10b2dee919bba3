package io.switchboard.redis;

import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The wait between two attempts to reach Redis: exponential from 100 ms up to 5 s, with full jitter so
 * that the nodes of a cluster do not all knock at the same instant when Redis comes back. Used both for
 * the first connection (our own loop) and for Lettuce's reconnects. Stateless.
 */
final class Backoff {
    static final Duration MIN = Duration.ofMillis(100);
    static final Duration MAX = Duration.ofSeconds(5);
    static final Delay DELAY = Delay.fullJitter(MIN, MAX, MIN.toMillis(), TimeUnit.MILLISECONDS);

    private Backoff() {
    }

    /** The wait before attempt {@code attempt + 1}, after {@code attempt} failures (from 1). */
    static Duration after(int attempt) {
        Duration d = DELAY.createDelay(attempt);
        return d.compareTo(MIN) < 0 ? MIN : d;
    }
}
