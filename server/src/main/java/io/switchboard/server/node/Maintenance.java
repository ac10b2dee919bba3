package io.switchboard.server.node;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.switchboard.core.config.WebSocket;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.internal.SlidingRate;
import io.switchboard.server.buffer.Buffers;
import io.switchboard.server.config.SwitchboardConfig;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's periodic work, scheduled on its event loops once it listens: per-loop heartbeat ticks and
 * buffer-cache trims, the stats sampler, the history sweep, the presence refresh and the lost-node sweep. The tasks
 * end with the loops.
 */
final class Maintenance {
    private static final Logger log = LoggerFactory.getLogger(Maintenance.class);
    /** How often idle room histories are swept. */
    private static final long HISTORY_SWEEP_SECONDS = 30;

    private Maintenance() {
    }

    static void schedule(SwitchboardConfig config, Hub hub, EventLoopGroup workers, SlidingRate messageRate,
                         NodeDescription description) {
        WebSocket ws = config.websocket();
        long tickNanos = Math.min(ws.pingInterval().toNanos(), ws.writeWait().toNanos()) / 5;
        tickNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(TimeUnit.SECONDS.toNanos(1), tickNanos));
        for (var executor : workers) {
            EventLoop loop = (EventLoop) executor;
            var shard = hub.shard(loop);
            loop.scheduleAtFixedRate(shard::tick, tickNanos, tickNanos, TimeUnit.NANOSECONDS);
            loop.scheduleAtFixedRate(Buffers::trimThreadCache, Buffers.TRIM_SECONDS, Buffers.TRIM_SECONDS,
                    TimeUnit.SECONDS);
        }
        EventLoop first = workers.next();
        first.scheduleAtFixedRate(() -> messageRate.sample(System.nanoTime(),
                        hub.stats().messagesSent() + hub.stats().messagesReceived()),
                0, 1, TimeUnit.SECONDS);
        first.scheduleAtFixedRate(description::sample, 0, 1, TimeUnit.SECONDS);
        first.scheduleAtFixedRate(hub::sweepHistory, HISTORY_SWEEP_SECONDS, HISTORY_SWEEP_SECONDS, TimeUnit.SECONDS);
        if (!config.cluster().presenceStore().equals("memory")) {
            long refreshMillis = Math.max(100, config.cluster().presenceTtl().toMillis() / 3);
            // The first refresh at once, while the node has no members yet: until a node's first refresh has landed
            // its presence indexes do not count as whole, and a refresh then writes back every member it listed,
            // also one whose leave landed between the listing and the write. That member would keep its room from
            // ever being reported vacated (seen in ClusterLifecycleEventsTest when the first refresh came a third
            // of the ttl after start, in the middle of the test's joins and leaves).
            first.scheduleAtFixedRate(() -> hub.refreshPresence().whenComplete((v, e) -> {
                if (e != null) {
                    log.warn("refreshing presence failed: {}", e.toString());
                }
            }), 0, refreshMillis, TimeUnit.MILLISECONDS);
            // As often: a lost node's connections are reported within a third of the ttl after its entries expire.
            first.scheduleAtFixedRate(() -> hub.sweepLostNodes().whenComplete((v, e) -> {
                if (e != null) {
                    log.warn("reporting the connections of lost nodes failed: {}", e.toString());
                }
            }), refreshMillis, refreshMillis, TimeUnit.MILLISECONDS);
        }
    }
}
