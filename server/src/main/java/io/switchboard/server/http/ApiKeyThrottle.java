package io.switchboard.server.http;

import io.switchboard.core.TimeSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failed API-key checks per remote address. After {@link #MAX_FAILURES} failures within {@link #WINDOW_SECONDS}
 * of an address's first failure, its API calls are answered 429 until the window ends, without the key being
 * checked: so a key cannot be guessed faster than that from one address (unthrottled, 357,778 guesses took
 * 10 s). A valid key ends the address's streak. Each streak is logged once when it starts and once when it
 * turns into a throttle, with the address and never the key.
 *
 * <p>Bounded: at most {@link #MAX_ADDRESSES} addresses are tracked (plus the shared streak, and one per event
 * loop when several add at once); expired streaks are swept at most once a second. Overflow policy
 * <em>shared-bucket</em>: while the table is full, the failures of every address not in it count in one
 * shared streak, so failures spread over many addresses are throttled together (those addresses may then
 * get 429 for a valid key until the window ends) rather than escape the bound.
 * Thread-safe.
 */
public final class ApiKeyThrottle {
    private static final Logger log = LoggerFactory.getLogger(ApiKeyThrottle.class);

    /** Failures of one address within a window before its calls are refused with 429. */
    public static final int MAX_FAILURES = 10;
    /** A streak's length, from its first failure. */
    public static final long WINDOW_SECONDS = 60;
    /** Addresses tracked at once. */
    static final int MAX_ADDRESSES = 10_000;
    /** The key of the shared streak of addresses beyond {@link #MAX_ADDRESSES}. */
    static final String OVERFLOW = "(overflow)";
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(WINDOW_SECONDS);
    private static final long SECOND_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long SWEEP_NANOS = SECOND_NANOS;

    /** One address's failures since {@code startNanos}; guarded by its own monitor. */
    private static final class Streak {
        final long startNanos;
        int failures;

        Streak(long startNanos) {
            this.startNanos = startNanos;
        }
    }

    private final int maxAddresses;
    private final TimeSource time;
    private final Map<String, Streak> streaks = new ConcurrentHashMap<>();
    private final AtomicLong lastSweepNanos;

    public ApiKeyThrottle(TimeSource time) {
        this(MAX_ADDRESSES, time);
    }

    ApiKeyThrottle(int maxAddresses, TimeSource time) {
        this.maxAddresses = maxAddresses;
        this.time = time;
        this.lastSweepNanos = new AtomicLong(time.nanoTime());
    }

    /** Seconds until {@code ip} may try a key again (0: now), to check before its key. */
    long retryAfterSeconds(String ip) {
        long now = time.nanoTime();
        Streak s = streaks.get(keyOf(ip));
        if (s == null) {
            return 0;
        }
        synchronized (s) {
            long left = s.startNanos + WINDOW_NANOS - now;
            return s.failures >= MAX_FAILURES && left > 0 ? (left + SECOND_NANOS - 1) / SECOND_NANOS : 0;
        }
    }

    /** Counts a failed key check from {@code ip}. */
    void failed(String ip) {
        long now = time.nanoTime();
        sweep(now);
        String key = keyOf(ip);
        while (true) {
            Streak s = streaks.computeIfAbsent(key, k -> new Streak(now));
            synchronized (s) {
                if (now - s.startNanos >= WINDOW_NANOS) {
                    streaks.remove(key, s); // expired: the next failure starts a new streak
                    continue;
                }
                s.failures++;
                if (s.failures == 1) {
                    log.info("refused API call from {}: missing or invalid API key (failures from this address are "
                            + "logged again after {} in {} s)", ip, MAX_FAILURES, WINDOW_SECONDS);
                } else if (s.failures == MAX_FAILURES) {
                    log.warn("{} failed API-key checks from {} within {} s: its API calls are answered 429 until "
                            + "the window ends", MAX_FAILURES, key.equals(OVERFLOW)
                            ? "addresses beyond the " + maxAddresses + " tracked (shared)" : key, WINDOW_SECONDS);
                }
                return;
            }
        }
    }

    /** A valid key from {@code ip} ends its streak. */
    void succeeded(String ip) {
        if (!streaks.isEmpty()) {
            streaks.remove(ip);
        }
    }

    /** The address's own streak, or the shared one while the table is full and the address not in it. */
    private String keyOf(String ip) {
        return streaks.size() < maxAddresses || streaks.containsKey(ip) ? ip : OVERFLOW;
    }

    /** Addresses tracked (tests). */
    int tracked() {
        return streaks.size();
    }

    private void sweep(long now) {
        long last = lastSweepNanos.get();
        if (now - last < SWEEP_NANOS || !lastSweepNanos.compareAndSet(last, now)) {
            return;
        }
        streaks.entrySet().removeIf(e -> {
            synchronized (e.getValue()) {
                return now - e.getValue().startNanos >= WINDOW_NANOS;
            }
        });
    }
}
