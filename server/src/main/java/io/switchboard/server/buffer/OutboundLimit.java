package io.switchboard.server.buffer;

/**
 * The one admission check every write to a client passes, whatever the transport (WebSocket, SSE, HTTP
 * streaming): a connection that would queue more than {@code websocket.maxQueuedBytes}, or that is already
 * backed up while direct memory runs low, is a slow consumer and gets closed rather than buffered for.
 * Immutable and thread-safe.
 *
 * @param maxQueuedBytes {@code websocket.maxQueuedBytes}
 * @param pressureQueuedBytes queued bytes above which a connection is closed while direct memory is above
 *     {@link DirectMemory#HIGH_WATER}
 */
public record OutboundLimit(int maxQueuedBytes, int pressureQueuedBytes) {
    /**
     * While direct memory is above {@link DirectMemory#HIGH_WATER}, a connection that already has more than this
     * queued (or its own cap, if smaller) when another write comes is closed as a slow consumer; one that keeps
     * up queues less.
     */
    public static final int PRESSURE_QUEUED_BYTES = 64 * 1024;

    /** The limit for {@code maxQueuedBytes}, with the pressure threshold that follows from it. */
    public static OutboundLimit of(int maxQueuedBytes) {
        return new OutboundLimit(maxQueuedBytes, Math.min(maxQueuedBytes, PRESSURE_QUEUED_BYTES));
    }

    /**
     * Why {@code size} more bytes may not be queued on top of {@code queued}, or null when they may: the reason
     * a slow-consumer close (4008) gives.
     */
    public String refusal(long queued, int size) {
        if (queued + size > maxQueuedBytes) {
            return "send queue overflowed";
        }
        // The caps of all connections together can exceed the process's direct memory: when it runs low,
        // a connection that is backed up is closed rather than allowed to queue up to its own cap. Backed
        // up: already holding that much before this write, so one large write to an idle connection passes.
        if (queued > pressureQueuedBytes && DirectMemory.aboveHighWater()) {
            return "send queue backed up while server memory is low";
        }
        return null;
    }
}
