package io.switchboard.server;

import java.util.ArrayList;
import java.util.List;

/**
 * Test clients of one room whose messages a background thread moves into compact offset lists as they
 * arrive, so that hundreds of subscribers receiving thousands of messages hold longs, not JSON trees.
 */
final class Subscribers implements AutoCloseable {
    private final List<WsClient> clients = new ArrayList<>();
    private final List<Offsets> received = new ArrayList<>();
    private final Thread drainer = new Thread(this::drainLoop, "subscribers-drainer");
    private volatile boolean draining = true;

    void add(WsClient c) {
        clients.add(c);
        received.add(new Offsets());
    }

    int size() {
        return clients.size();
    }

    void startDraining() {
        drainer.setDaemon(true);
        drainer.start();
    }

    private void drainLoop() {
        while (draining) {
            for (int i = 0; i < clients.size(); i++) {
                Offsets o = received.get(i);
                synchronized (o) {
                    o.drain(clients.get(i));
                }
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Stops draining, then waits until every subscriber holds {@code last} and checks 1..last exactly once. */
    void assertEveryoneHolds(long last, long timeoutMillis) throws InterruptedException {
        stopDraining();
        for (int i = 0; i < clients.size(); i++) {
            received.get(i).awaitOffset(clients.get(i), last, timeoutMillis).assertContiguous(1, last);
        }
    }

    private void stopDraining() throws InterruptedException {
        draining = false;
        if (drainer.isAlive()) {
            drainer.join(5000);
        }
    }

    @Override
    public void close() {
        draining = false;
        clients.forEach(WsClient::close);
    }
}
