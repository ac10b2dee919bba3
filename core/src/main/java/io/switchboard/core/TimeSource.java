package io.switchboard.core;

/** Time as the hub sees it; injected so tests never sleep. Thread-safe. */
public interface TimeSource {
    /** Monotonic nanoseconds, for timeouts. */
    long nanoTime();

    /** Wall-clock milliseconds since the epoch, for message timestamps. */
    long currentTimeMillis();

    TimeSource SYSTEM = new TimeSource() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public long currentTimeMillis() {
            return System.currentTimeMillis();
        }
    };
}
