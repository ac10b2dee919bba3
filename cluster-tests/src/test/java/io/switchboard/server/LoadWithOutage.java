package io.switchboard.server;

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
}
