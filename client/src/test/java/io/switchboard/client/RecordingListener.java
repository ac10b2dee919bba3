package io.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Records every client event in arrival order and lets a test wait for the next one of a kind.
 * Also asserts the threading contract: no callback may run on a Netty event loop.
 *
 * <p>Thread-safe.
 */
final class RecordingListener implements ClientListener {
    final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    final List<RoomMessage> roomMessages = new CopyOnWriteArrayList<>();
    final List<String> eventLoopCallbacks = new CopyOnWriteArrayList<>();

    private void record(Object event) {
        if (Thread.currentThread().getName().startsWith("switchboard-client-io")) {
            eventLoopCallbacks.add(String.valueOf(event));
        }
        events.add(event);
    }

    /** Waits for the next event matching, skipping others; fails after the timeout. */
    <T> T next(Class<T> type, Predicate<T> matching, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            Object e = events.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
            if (e == null) {
                throw new AssertionError("no " + type.getSimpleName() + " event within " + timeout);
            }
            if (type.isInstance(e) && matching.test(type.cast(e))) {
                return type.cast(e);
            }
        }
    }

    <T> T next(Class<T> type, Duration timeout) throws InterruptedException {
        return next(type, t -> true, timeout);
    }

    void assertNoCallbackOnEventLoop() {
        assertThat(eventLoopCallbacks).as("callbacks that ran on a Netty event loop").isEmpty();
    }

    record StateChange(ConnectionState state) {
    }

    record Connected(Welcome welcome, boolean reconnect) {
    }

    record RecoveryFailed(RoomJoined joined) {
    }

    record ShutdownNotice(long reconnectAfterMs) {
    }

    @Override
    public void onStateChange(ConnectionState state) {
        record(new StateChange(state));
    }

    @Override
    public void onConnected(Welcome welcome, boolean reconnect) {
        record(new Connected(welcome, reconnect));
    }

    @Override
    public void onDisconnected(Disconnect disconnect) {
        record(disconnect);
    }

    @Override
    public void onServerShutdown(long reconnectAfterMs) {
        record(new ShutdownNotice(reconnectAfterMs));
    }

    @Override
    public void onDirectMessage(DirectMessage message) {
        record(message);
    }

    @Override
    public void onError(ServerError error) {
        record(error);
    }

    @Override
    public void onRoomMessage(RoomMessage message) {
        roomMessages.add(message);
        record(message);
    }

    @Override
    public void onJoined(RoomJoined joined) {
        record(joined);
    }

    @Override
    public void onRecoveryFailed(RoomJoined joined) {
        record(new RecoveryFailed(joined));
    }
}
