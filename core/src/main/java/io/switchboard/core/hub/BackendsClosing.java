package io.switchboard.core.hub;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of a hub's broker and stores: retires the node from presence once (waiting up to
 * {@code cluster.timeout}), so that no other node reports connections this one closed itself as lost, then closes
 * the timer, the broker and the stores, each on its own so that one failing does not keep the others open.
 * Thread-safe; idempotent.
 */
final class BackendsClosing {
    private static final Logger log = LoggerFactory.getLogger(BackendsClosing.class);
    private final HubContext ctx;
    /** Set by the first {@link #close}: presence is retired once. */
    private final AtomicBoolean closed = new AtomicBoolean();

    BackendsClosing(HubContext ctx) {
        this.ctx = ctx;
    }

    void close() {
        if (closed.compareAndSet(false, true)) {
            retirePresence();
        }
        ctx.scheduler().close();
        closeQuietly(ctx.broker());
        closeQuietly(ctx.presence());
        closeQuietly(ctx.history());
    }

    private void retirePresence() {
        try {
            ctx.calls().store(() -> ctx.presence().retire(ctx.nodeId()))
                    .get(ctx.config().cluster().timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("could not retire node {} from presence ({}); other nodes may report its last connections "
                    + "as lost", ctx.nodeId(), e.toString());
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            log.warn("closing {} failed", c, e);
        }
    }
}
