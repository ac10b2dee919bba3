package io.switchboard.server.node;

import io.switchboard.core.hub.Hub;
import io.switchboard.server.config.SwitchboardConfig;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The node's link to the other nodes: connecting the broker at start, and its {@code /health} check. */
final class ClusterLink {
    private static final Logger log = LoggerFactory.getLogger(ClusterLink.class);

    private ClusterLink() {
    }

    /**
     * Connects the broker. A broker that is not reachable yet does not stop the node: it serves its own
     * clients, reports the broker check failing and {@code /ready} 503, and joins the cluster once the
     * broker answers.
     *
     * @throws StartException when the broker refuses to start
     */
    static void start(Hub hub, SwitchboardConfig config) {
        long waitMillis = Math.max(2000, config.cluster().timeout().toMillis() * 5);
        try {
            hub.start().toCompletableFuture().get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("broker {} not reachable after {} ms; serving this node's clients and retrying",
                    hub.broker().describe(), waitMillis);
        } catch (ExecutionException e) {
            throw new StartException("cannot start the broker " + hub.broker().describe() + ": "
                    + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartException("interrupted while connecting the broker", e);
        }
    }

    /** Healthy while the broker is connected and no circuit breaker fails calls fast. */
    static CompletableFuture<Void> healthy(Hub hub) {
        String problem = null;
        if (!hub.broker().isConnected()) {
            problem = "broker " + hub.broker().describe() + " is not connected";
        } else if (hub.brokerGuard() != null && hub.brokerGuard().isOpen()) {
            problem = "circuit breaker of " + hub.brokerGuard().name() + " is open";
        } else if (hub.storeGuard() != null && hub.storeGuard().isOpen()) {
            problem = "circuit breaker of " + hub.storeGuard().name() + " is open";
        }
        return problem == null ? CompletableFuture.completedFuture(null)
                : CompletableFuture.failedFuture(new IllegalStateException(problem));
    }
}
