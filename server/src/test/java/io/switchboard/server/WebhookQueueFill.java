package io.switchboard.server;

import io.switchboard.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Connections that fill a node's webhook queue one {@code connect} event at a time, for the tests of what a
 * full queue drops (with and without a spool). The node posts only {@code connect}, one event a batch, to a
 * backend that is down, so that the first event stays in flight and each later one waits or pushes the
 * oldest out.
 *
 * @param connIds the connections' ids, in the order they connected
 * @param clients the connections, open; the test closes them
 */
record WebhookQueueFill(List<String> connIds, List<WsClient> clients) {

    /**
     * Opens {@code n} connections to the node on {@code port}, each after the previous one's event was queued or
     * dropped: waiting for it keeps the intake (bounded by {@code maxQueued} too) from overflowing in the
     * queue's place, so that what the queue drops is exactly what the test expects.
     */
    static WebhookQueueFill connect(int port, int n, Duration wait) {
        List<String> connIds = new ArrayList<>();
        List<WsClient> clients = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            WsClient c = WsClient.connect(port, "u" + i);
            connIds.add(c.next("welcome").path("connId").asText());
            clients.add(c);
            int queuedOrDropped = i;
            Await.until("connect " + i + " queued", wait, () -> {
                Scrape metrics = Scrape.of(port, "/metrics");
                return metrics.value("webhook_queue_events")
                        + metrics.value("webhook_events_total", "outcome", "dropped") == queuedOrDropped;
            });
        }
        return new WebhookQueueFill(List.copyOf(connIds), List.copyOf(clients));
    }
}
