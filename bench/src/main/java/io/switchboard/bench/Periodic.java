package io.switchboard.bench;

/** Runs a reading every period on a daemon thread until stopped: the samplers' clock. */
final class Periodic {
    private final Thread thread;
    private volatile boolean running = true;

    /** Starts at once; the first reading is one period away (take one before if it must exist sooner). */
    Periodic(String name, long periodMillis, Runnable reading) {
        thread = new Thread(() -> {
            while (running) {
                try {
                    Thread.sleep(periodMillis);
                } catch (InterruptedException e) {
                    return;
                }
                reading.run();
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Stops, waiting up to {@code millis} for a reading under way. */
    void stop(long millis) throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(millis);
    }
}
