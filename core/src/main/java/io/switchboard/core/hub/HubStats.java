package io.switchboard.core.hub;

import java.util.concurrent.atomic.LongAdder;

/** Hub-wide counters. Thread-safe; adders keep the hot path free of contended atomics. */
public final class HubStats {
    final LongAdder connectionsTotal = new LongAdder();
    final LongAdder messagesReceived = new LongAdder();
    final LongAdder messagesSent = new LongAdder();
    final LongAdder deliveriesDropped = new LongAdder();

    /** Connections registered since start. */
    public long connectionsTotal() {
        return connectionsTotal.sum();
    }

    /** Inbound messages (text and binary) since start. */
    public long messagesReceived() {
        return messagesReceived.sum();
    }

    /** Outbound messages (replies and deliveries) since start. */
    public long messagesSent() {
        return messagesSent.sum();
    }

    /** Deliveries skipped because a shard's task queue was at its bound. */
    public long deliveriesDropped() {
        return deliveriesDropped.sum();
    }

    /** Counts one inbound message. */
    public void received() {
        messagesReceived.increment();
    }
}
