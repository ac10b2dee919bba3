package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A publisher sending at a steady rate to a room for {@code seconds}, while the broker is killed at 1.5 s
 * and started again at 3.5 s: the fault tests' load. Messages refused during the outage are not retried.
 */
final class LoadWithOutage {
    /** Kills or restarts the broker process. */
    interface Step {
        void run() throws Exception;
    }

    private LoadWithOutage() {
    }

    static void run(WsClient publisher, String room, int rate, int seconds, Step kill, Step restart)
            throws Exception {
        long start = System.nanoTime();
        boolean killed = false;
        boolean restarted = false;
        int sent = 0;
        while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(seconds)) {
            long elapsed = System.nanoTime() - start;
            if (!killed && elapsed > TimeUnit.MILLISECONDS.toNanos(1500)) {
                kill.run();
                killed = true;
            }
            if (killed && !restarted && elapsed > TimeUnit.MILLISECONDS.toNanos(3500)) {
                restart.run();
                restarted = true;
            }
            while (sent < elapsed * rate / TimeUnit.SECONDS.toNanos(1)) {
                publisher.send("{\"type\":\"room_message\",\"room\":\"" + room + "\",\"content\":\"m" + sent + "\"}");
                sent++;
            }
            Thread.sleep(2);
        }
    }

    /**
     * Publishes one message every 20 ms until the room's position, read through node {@code node}, reaches
     * {@code target}, failing after {@code within}: shows that appends go through again after a failover,
     * however long the failover took.
     */
    static void publishUntil(WsClient publisher, String room, ClusterNodes nodes, int node, long target,
                             Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        for (int sent = 0; nodes.position(node, room) < target; sent++) {
            assertThat(System.nanoTime()).as("the room's position reaches %d within %s", target, within)
                    .isLessThan(deadline);
            publisher.send("{\"type\":\"room_message\",\"room\":\"" + room + "\",\"content\":\"after" + sent + "\"}");
            Thread.sleep(20);
        }
    }
}
