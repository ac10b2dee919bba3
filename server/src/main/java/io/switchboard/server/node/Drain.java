package io.switchboard.server.node;

import io.netty.channel.EventLoop;
import io.switchboard.core.DisconnectReason;
import io.switchboard.core.hub.Connection;
import io.switchboard.core.hub.Hub;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.ServerMessage;
import io.switchboard.server.websocket.NettySession;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Graceful shutdown of the connections: every one gets {@code server_shutdown} with a jittered
 * {@code reconnectAfterMs} and close 1012, spread over the drain window, each exactly once. Thread-safe.
 */
final class Drain {
    private static final Logger log = LoggerFactory.getLogger(Drain.class);

    private final Hub hub;
    private final IntSupplier openWebSockets;
    /** Connections already sent {@code server_shutdown}: the drain and a hastened drain both try each. */
    private final Set<Connection> notified = ConcurrentHashMap.newKeySet();
    /** The drain window, for the spread of reconnect hints; set before any notice is scheduled. */
    private volatile long drainMillis;

    Drain(Hub hub, IntSupplier openWebSockets) {
        this.hub = hub;
        this.openWebSockets = openWebSockets;
    }

    /**
     * Schedules every connection's notice over {@code drain} and blocks until all are closed or the window
     * (plus the close linger) is over.
     */
    void run(Duration drain) {
        drainMillis = drain.toMillis();
        List<Connection> open = new ArrayList<>(hub.connections());
        log.info("draining {} connections over {} ms", open.size(), drain.toMillis());
        long drainNanos = drain.toNanos();
        for (int i = 0; i < open.size(); i++) {
            Connection c = open.get(i);
            long delay = open.size() <= 1 ? 0 : drainNanos * i / open.size();
            ((EventLoop) c.shard().executor()).schedule(() -> sendShutdownNotice(c), delay, TimeUnit.NANOSECONDS);
        }
        long deadline = System.nanoTime() + drainNanos
                + TimeUnit.MILLISECONDS.toNanos(NettySession.CLOSE_LINGER_MILLIS + 500);
        while (openWebSockets.getAsInt() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (openWebSockets.getAsInt() > 0) {
            log.info("drain window over; closing {} connections hard", openWebSockets.getAsInt());
        }
    }

    /** Notifies every connection not yet told at once, not at its turn in the drain window. */
    void hasten() {
        log.info("second stop request: notifying the {} remaining connections at once", openWebSockets.getAsInt());
        for (Connection c : hub.connections()) {
            try {
                c.shard().executor().execute(() -> sendShutdownNotice(c));
            } catch (RejectedExecutionException stopping) {
                // The drain already ended and the loops are stopping: nothing left to tell.
            }
        }
    }

    /** Tells one connection to reconnect elsewhere and closes it with 1012, once. Its shard thread. */
    private void sendShutdownNotice(Connection c) {
        if (c.session() == null || !notified.add(c)) {
            return;
        }
        long reconnectAfter = 1000 + ThreadLocalRandom.current().nextLong(Math.max(1, drainMillis) + 1);
        hub.send(c, new ServerMessage.ServerShutdown(ServerMessage.ServerShutdown.NOTICE, reconnectAfter));
        hub.close(c, CloseCode.SERVICE_RESTART, "server restart", DisconnectReason.SERVER_SHUTDOWN);
    }
}
