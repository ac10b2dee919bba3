package io.switchboard.core.config;

import java.time.Duration;
import java.util.List;

/**
 * Scale-out: how the nodes of a cluster exchange messages and share history and presence. Core reads the
 * deadlines; the server picks the backends from the rest, and the rule between them is checked here.
 *
 * @param broker how nodes exchange messages: {@code memory} (a single node), {@code redis} or {@code nats}
 * @param history where room history and offsets live: {@code memory}, {@code redis}, {@code jetstream} (a NATS
 *     JetStream stream; needs the nats broker), or {@code auto} (redis with a redis or nats broker, memory
 *     otherwise)
 * @param presence where presence lives: {@code memory}, {@code redis}, {@code nats} (a NATS KV bucket; needs
 *     the nats broker), or {@code auto} (as for history)
 * @param timeout deadline of each call to Redis or NATS
 * @param maxPending calls to Redis or NATS in flight at once; beyond, publishes answer {@code unavailable}
 * @param breakerOpenDuration how long the circuit breaker fails calls fast before it probes again
 * @param gapTimeout how long a node waits for a missing offset before reading it from history
 * @param presenceTtl a node's presence entries expire this long after its last refresh, and a node that stops
 *     announcing itself leaves the node list ({@code GET /api/nodes}) this long after its last announcement
 * @param tailCheckInterval how often a node compares each quiet room it serves with the room's history,
 *     to deliver messages whose publishing node died before relaying them
 */
public record Cluster(String broker, String history, String presence, Duration timeout, int maxPending,
                      Duration breakerOpenDuration, Duration gapTimeout, Duration presenceTtl,
                      Duration tailCheckInterval) {
    private static final List<String> BROKERS = List.of("memory", "redis", "nats");
    private static final List<String> HISTORY_STORES = List.of("auto", "memory", "redis", "jetstream");
    private static final List<String> PRESENCE_STORES = List.of("auto", "memory", "redis", "nats");

    public Cluster {
        Check.oneOf("cluster.broker", broker, BROKERS);
        Check.oneOf("cluster.history", history, HISTORY_STORES);
        Check.oneOf("cluster.presence", presence, PRESENCE_STORES);
        Check.positive("cluster.timeout", timeout);
        Check.range("cluster.maxPending", maxPending, 1, 10_000_000);
        Check.positive("cluster.breakerOpenDuration", breakerOpenDuration);
        Check.positive("cluster.gapTimeout", gapTimeout);
        Check.positive("cluster.presenceTtl", presenceTtl);
        Check.positive("cluster.tailCheckInterval", tailCheckInterval);
        if (!broker.equals("memory")) {
            // Offsets must be shared by every node; a per-node store would number the same room twice.
            if (history.equals("memory")) {
                throw new ConfigException("cluster.history", history,
                        "must be " + sharedHistory(broker) + " (or auto) when cluster.broker is " + broker
                                + ": every node must share the offsets");
            }
            if (presence.equals("memory")) {
                throw new ConfigException("cluster.presence", presence,
                        "must be " + sharedPresence(broker) + " (or auto) when cluster.broker is " + broker
                                + ": every node must see every member");
            }
        }
        // The NATS stores connect with the nats section; with another broker a node would depend on two
        // systems for one cluster, and a single node has nobody to share with.
        if (history.equals("jetstream") && !broker.equals("nats")) {
            throw new ConfigException("cluster.history", history,
                    "needs cluster.broker: nats (was " + broker + "); with a " + broker + " broker use "
                            + (broker.equals("redis") ? "redis" : "memory") + " or auto");
        }
        if (presence.equals("nats") && !broker.equals("nats")) {
            throw new ConfigException("cluster.presence", presence,
                    "needs cluster.broker: nats (was " + broker + "); with a " + broker + " broker use "
                            + (broker.equals("redis") ? "redis" : "memory") + " or auto");
        }
    }

    /** Whether several nodes share the work (any broker but memory). */
    public boolean distributed() {
        return !broker.equals("memory");
    }

    /** The history store in use: {@code memory}, {@code redis} or {@code jetstream}. */
    public String historyStore() {
        return resolve(history);
    }

    /** The presence store in use: {@code memory}, {@code redis} or {@code nats}. */
    public String presenceStore() {
        return resolve(presence);
    }

    private static String sharedHistory(String broker) {
        return broker.equals("nats") ? "redis or jetstream" : "redis";
    }

    private static String sharedPresence(String broker) {
        return broker.equals("nats") ? "redis or nats" : "redis";
    }

    private String resolve(String store) {
        return store.equals("auto") ? (distributed() ? "redis" : "memory") : store;
    }

    /** The documented defaults. */
    public static Cluster defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder().broker(broker).history(history).presence(presence).timeout(timeout)
                .maxPending(maxPending).breakerOpenDuration(breakerOpenDuration).gapTimeout(gapTimeout)
                .presenceTtl(presenceTtl).tailCheckInterval(tailCheckInterval);
    }

    /** Collects values, the defaults until set; {@link #build} validates. Not thread-safe. */
    public static final class Builder {
        private String broker = "memory";
        private String history = "auto";
        private String presence = "auto";
        private Duration timeout = Duration.ofSeconds(1);
        private int maxPending = 10_000;
        private Duration breakerOpenDuration = Duration.ofSeconds(5);
        private Duration gapTimeout = Duration.ofMillis(200);
        private Duration presenceTtl = Duration.ofSeconds(30);
        private Duration tailCheckInterval = Duration.ofSeconds(5);

        private Builder() {
        }

        public Builder broker(String value) {
            broker = value;
            return this;
        }

        public Builder history(String value) {
            history = value;
            return this;
        }

        public Builder presence(String value) {
            presence = value;
            return this;
        }

        public Builder timeout(Duration value) {
            timeout = value;
            return this;
        }

        public Builder maxPending(int value) {
            maxPending = value;
            return this;
        }

        public Builder breakerOpenDuration(Duration value) {
            breakerOpenDuration = value;
            return this;
        }

        public Builder gapTimeout(Duration value) {
            gapTimeout = value;
            return this;
        }

        public Builder presenceTtl(Duration value) {
            presenceTtl = value;
            return this;
        }

        public Builder tailCheckInterval(Duration value) {
            tailCheckInterval = value;
            return this;
        }

        public Cluster build() {
            return new Cluster(broker, history, presence, timeout, maxPending, breakerOpenDuration, gapTimeout,
                    presenceTtl, tailCheckInterval);
        }
    }
}
