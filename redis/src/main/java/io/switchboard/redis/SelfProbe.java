package io.switchboard.redis;

import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proves that a broker's subscription still receives. A subscription can go silent without any error
 * (a half-open socket behind a dead NAT mapping, a failover that left the subscribed connection on a
 * server nobody publishes to): the connection looks open, commands on the other connection succeed,
 * and messages simply stop. So every interval the broker publishes a probe to a channel only it
 * subscribes to, and expects it back within the timeout. A probe that does not come back marks the
 * probe failing, which the broker reports as not connected ({@code /health} failing, {@code /ready}
 * 503), and asks the broker to renew its subscription; the first probe that comes back clears it.
 *
 * <p>Probes are sent only while {@code connected} says the connections are up: a connection known to be
 * lost is Lettuce's to restore, not the probe's. One probe is outstanding at a time, so a slow Redis
 * costs one message per timeout, not a pile. Ticks run on one executor thread; {@link #received} runs
 * on the subscribed connection's I/O thread; the shared state is guarded by this object.
 */
final class SelfProbe implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SelfProbe.class);

    private final String name;
    private final Duration interval;
    private final Duration timeout;
    private final BooleanSupplier connected;
    private final Function<byte[], CompletionStage<?>> send;
    private final Runnable renew;

    private ScheduledFuture<?> ticks;
    /** Number of the last probe sent; 0 before the first. */
    private long sent;
    /** When {@link #sent} was sent, by {@link System#nanoTime()}. */
    private long sentAt;
    /** Number of the last probe that came back, or that a miss gave up on. */
    private long settled;
    private volatile boolean failing;
    private long misses;

    /**
     * @param name the broker, for logs
     * @param connected whether the connections are up, as far as the client knows
     * @param send publishes one probe payload to the probe channel
     * @param renew replaces the subscription; called once per probe missed
     */
    SelfProbe(String name, Duration interval, Duration timeout, BooleanSupplier connected,
              Function<byte[], CompletionStage<?>> send, Runnable renew) {
        this.name = name;
        this.interval = interval;
        this.timeout = timeout;
        this.connected = connected;
        this.send = send;
        this.renew = renew;
    }

    /** Starts ticking on {@code executor}; a tick every tenth of the interval or timeout keeps the reaction prompt. */
    synchronized void start(EventExecutorGroup executor) {
        long tick = Math.max(10, Math.min(interval.toMillis(), timeout.toMillis()) / 10);
        try {
            ticks = executor.scheduleWithFixedDelay(this::tick, tick, tick, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("{}: probe not started, the client is shutting down", name);
        }
    }

    /** True from a probe missed until one comes back. */
    boolean failing() {
        return failing;
    }

    /** Probes missed since start. */
    synchronized long misses() {
        return misses;
    }

    /** A probe came back; {@code payload} is what {@link #send} published. */
    void received(byte[] payload) {
        if (payload.length != Long.BYTES) {
            return;
        }
        long n = ByteBuffer.wrap(payload).getLong();
        boolean recovered;
        synchronized (this) {
            if (n != sent || n <= settled) {
                return; // one that a miss already gave up on
            }
            settled = n;
            recovered = failing;
            failing = false;
        }
        if (recovered) {
            log.info("{}: the probe came back; the subscription receives again", name);
        }
    }

    void tick() {
        try {
            probe();
        } catch (RuntimeException e) {
            log.warn("{}: probe tick failed", name, e);
        }
    }

    private void probe() {
        long now = System.nanoTime();
        byte[] payload = null;
        boolean missed = false;
        synchronized (this) {
            if (sent > settled) {
                if (now - sentAt < timeout.toNanos()) {
                    return;
                }
                settled = sent;
                misses++;
                missed = true;
                if (!failing) {
                    failing = true;
                    log.warn("{}: a probe published to itself did not come back within {}; reporting the broker "
                            + "down and renewing its subscription", name, timeout);
                }
            } else if (now - sentAt >= interval.toNanos() || sent == 0) {
                if (!connected.getAsBoolean()) {
                    return;
                }
                sent++;
                sentAt = now;
                payload = ByteBuffer.allocate(Long.BYTES).putLong(sent).array();
            }
        }
        if (missed) {
            renew.run();
        } else if (payload != null) {
            // A failed publish is not a miss by itself (the broker reports command failures on its own);
            // the probe it carried just never comes back and times out like any other.
            send.apply(payload);
        }
    }

    @Override
    public synchronized void close() {
        if (ticks != null) {
            ticks.cancel(false);
        }
    }
}
