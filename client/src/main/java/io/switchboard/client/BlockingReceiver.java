package io.switchboard.client;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link RoomListener} that buffers room messages for code that prefers to pull them with a
 * blocking call (scripts, tests, simple consumers) instead of reacting in callbacks:
 *
 * <pre>{@code
 * BlockingReceiver inbox = new BlockingReceiver(1000);
 * client.join("orders", inbox).join();
 * RoomMessage m = inbox.receive();   // waits up to 30 s (the seed guide's receive timeout)
 * }</pre>
 *
 * <p>Bounded: when {@code capacity} messages wait unread, newer ones are dropped and counted in
 * {@link #dropped()} (the callback thread never blocks, so other events of the client keep
 * flowing). Recovery failures are buffered as a flag, see {@link #recoveryFailed()}.
 *
 * <p>Thread-safe: the client's callback thread fills it, any thread may drain it.
 */
public final class BlockingReceiver implements RoomListener {
    /** The seed guide's default receive timeout. */
    public static final Duration DEFAULT_RECEIVE_TIMEOUT = Duration.ofSeconds(30);

    private final BlockingQueue<RoomMessage> messages;
    private final LongAdder dropped = new LongAdder();
    private volatile boolean recoveryFailed;

    public BlockingReceiver(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        this.messages = new ArrayBlockingQueue<>(capacity);
    }

    @Override
    public void onRoomMessage(RoomMessage message) {
        if (!messages.offer(message)) {
            dropped.increment();
        }
    }

    @Override
    public void onRecoveryFailed(RoomJoined joined) {
        recoveryFailed = true;
    }

    /** The next message, waiting up to {@link #DEFAULT_RECEIVE_TIMEOUT}. */
    public RoomMessage receive() throws InterruptedException, TimeoutException {
        return receive(DEFAULT_RECEIVE_TIMEOUT);
    }

    /** The next message, waiting up to {@code timeout}; {@link TimeoutException} when none came. */
    public RoomMessage receive(Duration timeout) throws InterruptedException, TimeoutException {
        RoomMessage m = messages.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (m == null) {
            throw new TimeoutException("no room message within " + timeout.toMillis() + " ms");
        }
        return m;
    }

    /** Messages dropped because {@code capacity} were waiting unread. */
    public long dropped() {
        return dropped.sum();
    }

    /** Whether a rejoin reported {@code recovered:false} since this receiver was created. */
    public boolean recoveryFailed() {
        return recoveryFailed;
    }
}
