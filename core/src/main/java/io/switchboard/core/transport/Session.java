package io.switchboard.core.transport;

import io.switchboard.protocol.CloseCode;

/**
 * The transport side of one connection, implemented by the server (a Netty channel). Methods marked
 * "shard thread" are called only on the executor of the connection's shard (the event loop it was registered on); the others are
 * thread-safe.
 */
public interface Session {
    /** Remote address as {@code ip:port}. */
    String remoteAddress();

    /**
     * Queues a frame without flushing. Shard thread. The session takes its own reference if it keeps
     * the frame. When queuing would exceed the connection's outbound cap the session starts closing
     * it as a slow consumer and returns false.
     *
     * @return true when the frame was queued and the session needs a flush
     */
    boolean write(OutboundFrame frame);

    /** Flushes queued frames. Shard thread. */
    void flush();

    /**
     * Sends one text message (UTF-8 JSON) and flushes. Thread-safe; ordered with other sends from the same
     * thread. Counts against the connection's outbound cap like {@link #write}: past it the session closes
     * the connection as a slow consumer and drops the message.
     */
    void sendText(byte[] utf8);

    /**
     * Stops ({@code true}) or resumes reading the peer's messages, for {@code hub.overloadPolicy: throttle}:
     * a paused peer's messages wait in its socket, and TCP slows it down. Shard thread. Transports that read
     * nothing from the peer on this session (Server-Sent Events) have nothing to pause.
     */
    default void pauseReading(boolean paused) {
    }

    /**
     * Bytes written to the connection and not yet taken by the peer's socket. Shard thread. The write-wait sweep
     * reads it to tell a peer that reads slowly (the count falls) from one that stopped reading (it does not);
     * a transport that cannot tell answers 0, and its backlogged connections count as stalled.
     */
    default long pendingBytes() {
        return 0;
    }

    /**
     * Milliseconds since the peer last took bytes from the connection (its kernel accepted data), or -1 when the
     * transport cannot tell. Shard thread. Finer than {@link #pendingBytes}, which falls only as the local kernel
     * frees send-buffer space, a third of it at a time.
     */
    default long millisSincePeerTook() {
        return -1;
    }

    /** Sends a protocol-level ping. Shard thread. */
    void ping();

    /**
     * Closes the connection with the given code, after frames already queued; a slow-consumer close
     * ({@link CloseCode#SLOW_CONSUMER}) drops the frames not yet handed to the socket instead, so that
     * its close frame reaches a peer that reads too slowly for the queue. Idempotent; thread-safe.
     * The transport tells the hub ({@code Hub.disconnect}) once the connection is gone.
     */
    void close(CloseCode code, String reason);
}
