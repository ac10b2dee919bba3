package io.switchboard.core.metrics;

import io.switchboard.core.DisconnectReason;
import io.switchboard.core.transport.Session;

/**
 * What the hub reports about its work, for a metrics backend (Prometheus through Micrometer in the
 * server) and for tracing. The hub and the command handler call it at the points each method names.
 *
 * <p>Contract: implementations are thread-safe and are called on the event loops' hot paths, once or
 * a few times per message. They must not block, take a lock or allocate per call: resolve every
 * meter (per label combination) up front and index it by enum ordinal or a constant string.
 * {@link #NOOP} is the default when metrics are off.
 */
public interface HubMetrics {

    /** WebSocket data frame types, the {@code type} label. */
    enum FrameType {
        TEXT("text"),
        BINARY("binary");

        private final String label;

        FrameType(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** Message type recorded for a text frame that did not decode into a command. */
    String INVALID_COMMAND = "invalid";

    /** A connection was registered (upgrade complete, {@code welcome} sent). Shard thread. */
    void connectionOpened();

    /** A registered connection ended, {@code durationNanos} after {@link #connectionOpened}. Shard thread. */
    void connectionClosed(DisconnectReason reason, long durationNanos);

    /** One inbound data message (after fragments were joined) of {@code bytes} payload bytes. Shard thread. */
    void messageReceived(FrameType type, int bytes);

    /**
     * {@code count} outbound copies of one message of {@code bytes} payload bytes were queued, one per
     * recipient (a fan-out task on one shard, or a single reply). Any thread.
     */
    void messagesSent(FrameType type, int count, int bytes);

    /**
     * One inbound message was processed: decoded and executed, its reply queued. {@code type} is the
     * command's wire name, {@link #INVALID_COMMAND}, or {@code binary}; {@code error} is the wire name of
     * the {@link io.switchboard.protocol.ErrorCode} the client was answered with, or null. Timestamps are {@link io.switchboard.core.TimeSource#nanoTime()}.
     * Shard thread.
     */
    void commandProcessed(String connId, Session session, String type, long startNanos, long endNanos, String error);

    /** A text frame did not decode into a valid command; the client got error {@code code} (a wire name). Shard thread. */
    void decodeFailed(String code);

    /** A decoded command failed; the client got error {@code code} (a wire name). Shard thread. */
    void commandFailed(String code);

    /** A connection joined a room, which now has {@code members} members. Any thread. */
    void roomJoined(int members);

    /** A delivery task was dropped because its shard was at {@code hub.maxPendingFanouts}. Any thread. */
    void deliveryDropped();

    /**
     * The transport saw an error outside any command: a socket exception, a malformed binary frame, an
     * oversized message. {@code type} is a short label the transport defines. Event loop thread.
     */
    default void transportError(String type) {
    }

    /**
     * A shard flushed a batch of fan-out frames: every connection written since the last flush was handed
     * its frames. {@code waitNanos} runs from the batch's first frame being queued to the end of the flush,
     * the longest any frame of the batch waited on this server between fan-out and its socket. Shard thread.
     */
    default void fanoutFlushed(long waitNanos) {
    }

    /**
     * A {@code presence_diff} was sent without some of its room's joins and leaves: more changed in one
     * {@code presence.diffInterval} than it lists ({@code presence.joinMembersLimit} of each). Timer thread.
     */
    default void presenceDiffTruncated() {
    }

    /**
     * A publication to the other nodes completed after {@code nanos}: accepted by the broker, or failed
     * ({@code ok} false). Broker or timer thread.
     */
    default void brokerPublished(long nanos, boolean ok) {
    }

    /**
     * {@code hub.overloadPolicy: throttle} slowed a publisher into a backed-up room: a client's reads were
     * paused ({@code paused}), or the API was answered {@code unavailable}. Any thread.
     */
    default void publishThrottled(boolean paused) {
    }

    /**
     * {@code delivery: latest}: a message held for a backed-up member was replaced by a newer one of its room
     * before the member could take it. Shard thread.
     */
    default void latestReplaced() {
    }

    /** Records nothing. */
    HubMetrics NOOP = new HubMetrics() {
        @Override
        public void connectionOpened() {
        }

        @Override
        public void connectionClosed(DisconnectReason reason, long durationNanos) {
        }

        @Override
        public void messageReceived(FrameType type, int bytes) {
        }

        @Override
        public void messagesSent(FrameType type, int count, int bytes) {
        }

        @Override
        public void commandProcessed(String connId, Session session, String type, long startNanos, long endNanos,
                                 String error) {
        }

        @Override
        public void decodeFailed(String code) {
        }

        @Override
        public void commandFailed(String code) {
        }

        @Override
        public void roomJoined(int members) {
        }

        @Override
        public void deliveryDropped() {
        }
    };
}
