package io.switchboard.core.cluster;

import java.util.List;
import java.util.Objects;

/**
 * What one node says about itself when it announces: identity, where it listens, and its counters at
 * {@code timestamp}. Immutable. Values read from other nodes are validated by {@link NodeCodec}.
 *
 * @param nodeId the node's id, {@code [A-Za-z0-9_.:@-]{1,64}}
 * @param version the server version it runs
 * @param address where it listens, {@code host:port}
 * @param startedAt when it started, epoch milliseconds
 * @param timestamp when this description was taken, epoch milliseconds
 * @param draining whether it is draining (refusing new connections, telling clients to go elsewhere)
 * @param connections connections open now
 * @param connectionsTotal connections accepted since start
 * @param rooms rooms with members on the node now
 * @param messagesReceived messages received from clients since start
 * @param messagesSent messages sent to clients since start
 * @param deliveriesDropped deliveries dropped (slow consumers, full queues) since start
 * @param messagesInPerSecond messages received per second, averaged since the previous announcement
 * @param messagesOutPerSecond messages sent per second, averaged since the previous announcement
 * @param broker the node's broker and whether it is connected
 * @param breakers the node's circuit breakers around remote calls
 */
public record NodeInfo(String nodeId, String version, String address, long startedAt, long timestamp,
                       boolean draining, long connections, long connectionsTotal, long rooms, long messagesReceived,
                       long messagesSent, long deliveriesDropped, double messagesInPerSecond,
                       double messagesOutPerSecond, BrokerState broker, List<Breaker> breakers) {

    /** A node's broker: its short description ({@code redis 127.0.0.1:6379/0}) and whether it is connected. */
    public record BrokerState(String name, boolean connected) {
    }

    /** One circuit breaker: its name, {@code closed}, {@code open} or {@code half-open}, and calls in flight. */
    public record Breaker(String name, String state, int pending) {
    }

    public NodeInfo {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(broker, "broker");
        breakers = List.copyOf(breakers);
    }

    /** How long the node had been up when it announced this. */
    public long uptimeMs() {
        return Math.max(0, timestamp - startedAt);
    }
}
