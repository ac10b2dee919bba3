package io.switchboard.core.limit;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of every refusal the security stages make, one counter per limit, for the metrics SPI to
 * read ({@link #snapshot()}) and for tests. Thread-safe.
 */
public final class SecurityCounters {
    /** Upgrades refused with 403: Origin not allowed. */
    public final LongAdder originRejected = new LongAdder();
    /** Upgrades refused with 401: no or invalid credential. */
    public final LongAdder authRejected = new LongAdder();
    /** Upgrades refused with 429: too many handshakes from one IP in a second. */
    public final LongAdder handshakeRateRejected = new LongAdder();
    /** Upgrades refused with 429: too many connections from one IP. */
    public final LongAdder perIpRejected = new LongAdder();
    /** Upgrades refused with 429: too many connections of one user. */
    public final LongAdder perUserRejected = new LongAdder();
    /** Upgrades refused with 503: {@code websocket.maxConnections} reached. */
    public final LongAdder globalCapRejected = new LongAdder();
    /** Inbound messages and control frames refused by the per-connection token bucket. */
    public final LongAdder messagesRateLimited = new LongAdder();
    /** Connections closed with 4029 after repeated rate-limit violations. */
    public final LongAdder rateLimitCloses = new LongAdder();
    /** Client pings left unanswered because the connection's outbound buffer was full. */
    public final LongAdder pingsDropped = new LongAdder();
    /** Connections closed with 4001 because their token expired. */
    public final LongAdder tokenExpiredCloses = new LongAdder();

    /** Every counter by a stable snake_case name, in declaration order. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("origin_rejected", originRejected.sum());
        m.put("auth_rejected", authRejected.sum());
        m.put("handshake_rate_rejected", handshakeRateRejected.sum());
        m.put("per_ip_rejected", perIpRejected.sum());
        m.put("per_user_rejected", perUserRejected.sum());
        m.put("global_cap_rejected", globalCapRejected.sum());
        m.put("messages_rate_limited", messagesRateLimited.sum());
        m.put("rate_limit_closes", rateLimitCloses.sum());
        m.put("pings_dropped", pingsDropped.sum());
        m.put("token_expired_closes", tokenExpiredCloses.sum());
        return m;
    }
}
