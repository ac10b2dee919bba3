package io.switchboard.core.limit;

import io.switchboard.core.TimeSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Per-IP and per-user connection caps and the per-IP handshake rate. Counters exist only for keys with
 * open connections (an entry is removed when its count returns to 0); handshake buckets are swept once
 * they have refilled, at most once a second, so memory follows the live clients, not the history of
 * addresses. A limit of 0 means none. Thread-safe: each key's count changes atomically in its map.
 */
public final class ConnectionLimits {
    private static final long SWEEP_NANOS = 1_000_000_000L;

    private final int perIp;
    private final int perUser;
    private final int handshakesPerSecond;
    private final TimeSource time;
    private final Map<String, Integer> byIp = new ConcurrentHashMap<>();
    private final Map<String, Integer> byUser = new ConcurrentHashMap<>();
    /** Handshake buckets by IP; each bucket guarded by its own monitor. */
    private final Map<String, TokenBucket> handshakes = new ConcurrentHashMap<>();
    private final AtomicLong lastSweepNanos;

    public ConnectionLimits(int perIp, int perUser, int handshakesPerSecond, TimeSource time) {
        this.perIp = perIp;
        this.perUser = perUser;
        this.handshakesPerSecond = handshakesPerSecond;
        this.time = time;
        this.lastSweepNanos = new AtomicLong(time.nanoTime());
    }

    /** Counts one upgrade attempt from {@code ip}; false when it exceeds the per-second rate. */
    public boolean tryHandshake(String ip) {
        if (handshakesPerSecond == 0) {
            return true;
        }
        long now = time.nanoTime();
        sweep(now);
        TokenBucket bucket = handshakes.computeIfAbsent(ip,
                k -> new TokenBucket(handshakesPerSecond, handshakesPerSecond, now));
        synchronized (bucket) {
            return bucket.tryTake(now);
        }
    }

    private void sweep(long now) {
        long last = lastSweepNanos.get();
        if (now - last < SWEEP_NANOS || !lastSweepNanos.compareAndSet(last, now)) {
            return;
        }
        handshakes.entrySet().removeIf(e -> {
            synchronized (e.getValue()) {
                return e.getValue().isFull(now);
            }
        });
    }

    /** Which cap an acquisition hit. */
    public enum Refusal { PER_IP, PER_USER }

    /**
     * Takes one connection slot for the IP and one for the user; on refusal takes neither.
     *
     * @return null when admitted (then {@link #release} must follow exactly once), else the cap hit
     */
    public Refusal tryAcquire(String ip, String user) {
        if (!increment(byIp, ip, perIp)) {
            return Refusal.PER_IP;
        }
        if (!increment(byUser, user, perUser)) {
            decrement(byIp, ip);
            return Refusal.PER_USER;
        }
        return null;
    }

    /** Gives back the slots {@link #tryAcquire} took. */
    public void release(String ip, String user) {
        decrement(byIp, ip);
        decrement(byUser, user);
    }

    /** Open connections counted for an IP (tests, diagnostics). */
    public int connectionsFromIp(String ip) {
        return byIp.getOrDefault(ip, 0);
    }

    public int connectionsOfUser(String user) {
        return byUser.getOrDefault(user, 0);
    }

    private static boolean increment(Map<String, Integer> counts, String key, int max) {
        boolean[] ok = {true};
        counts.compute(key, (k, n) -> {
            int current = n == null ? 0 : n;
            if (max > 0 && current >= max) {
                ok[0] = false;
                return n;
            }
            return current + 1;
        });
        return ok[0];
    }

    private static void decrement(Map<String, Integer> counts, String key) {
        counts.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
    }
}
