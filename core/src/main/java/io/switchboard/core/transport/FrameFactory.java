package io.switchboard.core.transport;

/** Builds transport frames from encoded payloads. Thread-safe. */
public interface FrameFactory {
    /** A text frame carrying the given UTF-8 JSON, with one reference owned by the caller. */
    OutboundFrame text(byte[] utf8);
}
