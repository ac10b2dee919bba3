package io.switchboard.server.sse;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.switchboard.core.broker.Envelope;
import io.switchboard.core.config.Cluster;
import io.switchboard.core.broker.ForwardedCommands;
import io.switchboard.core.hub.Hub;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP streaming behind a load balancer without sticky sessions: a command posted to this node for a session
 * that lives on another (its id names the node) goes to that node's broker channel, and the POST is answered
 * with what that node answered (202 once the session's event loop took the command, 404 when the session is
 * gone there). Commands other nodes forward here are handed to {@link StreamCommands#accept} and answered the
 * same way. Commands posted on one node reach the session in the order they were posted (the broker keeps one
 * publisher's order on one channel).
 *
 * <p>Bounded: at most {@code cluster.maxPending} forwarded commands wait for their answer at once; beyond,
 * the POST is refused at once with 503 (policy: refuse the newest). A command not answered within twice
 * {@code cluster.timeout} (a publish there, one back) is answered 504: the session's node is likely gone.
 * Thread-safe: the waiting commands are in a concurrent map; whoever removes one answers it, on its channel's
 * event loop.
 */
public final class StreamRelay implements ForwardedCommands {
    private static final Logger log = LoggerFactory.getLogger(StreamRelay.class);
    /** A node id as {@code server.nodeId} allows it (generated ids are base-36 and match too). */
    static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9_.-]{1,32}");

    private final Hub hub;
    private final StreamCommands local;
    private final int maxWaiting;
    private final long timeoutMillis;
    private final AtomicLong requests = new AtomicLong();
    /** Forwarded commands waiting for their node's answer, by request number. */
    private final ConcurrentHashMap<Long, Waiting> waiting = new ConcurrentHashMap<>();
    /** Guards the bound: incremented before an entry is added, decremented when one is removed. */
    private final AtomicInteger waitingCount = new AtomicInteger();
    /** Forwarded commands the session's node answered (any status). */
    public final LongAdder answered = new LongAdder();
    /** Posts refused with 503 because {@code cluster.maxPending} commands were already waiting. */
    public final LongAdder refusedFull = new LongAdder();
    /** Posts answered 504 because the session's node did not answer in time. */
    public final LongAdder timedOut = new LongAdder();
    /** Posts answered 503 because the broker refused the forward. */
    public final LongAdder brokerFailed = new LongAdder();
    /** Other nodes' commands handed to this node's sessions. */
    public final LongAdder received = new LongAdder();

    /** A POST waiting for the answer of the session's node. */
    private record Waiting(ChannelHandlerContext ctx, boolean keepAlive, String node, ScheduledFuture<?> deadline) {
    }

    StreamRelay(Hub hub, StreamCommands local, Cluster cluster) {
        this.hub = hub;
        this.local = local;
        this.maxWaiting = cluster.maxPending();
        this.timeoutMillis = 2 * cluster.timeout().toMillis();
    }

    /** Whether another node can be reached at all (false on a single node with the in-memory broker). */
    boolean reaches() {
        return hub.broker().reachesOtherNodes();
    }

    /** Every outcome counter by its metric label. */
    public Map<String, LongAdder> outcomes() {
        return Map.of("answered", answered, "refused_full", refusedFull, "timed_out", timedOut,
                "broker_failed", brokerFailed, "received", received);
    }

    /** Forwarded commands waiting for an answer now. */
    public int waiting() {
        return waitingCount.get();
    }

    /** Sends a command for {@code node}'s session {@code session} there; answers the POST when that node does. */
    void forward(ChannelHandlerContext ctx, boolean keepAlive, String node, String session, byte[] command) {
        if (waitingCount.incrementAndGet() > maxWaiting) {
            waitingCount.decrementAndGet();
            refusedFull.increment();
            StreamCommands.answer(ctx, keepAlive, HttpResponseStatus.SERVICE_UNAVAILABLE, "too many commands waiting for"
                    + " other nodes (cluster.maxPending = " + maxWaiting + "), retry later");
            return;
        }
        long request = requests.incrementAndGet();
        ScheduledFuture<?> deadline = ctx.executor().schedule(() -> {
            if (take(request) != null) {
                timedOut.increment();
                StreamCommands.answer(ctx, keepAlive, HttpResponseStatus.GATEWAY_TIMEOUT, "node " + node
                        + " did not take the command within " + timeoutMillis + " ms: the session's node may be gone,"
                        + " open a new stream (GET /stream)");
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        waiting.put(request, new Waiting(ctx, keepAlive, node, deadline));
        hub.forwardTo(node, Envelope.streamCommand(hub.nodeId(), session, request, command)).whenComplete((v, e) -> {
            if (e != null) {
                Waiting w = take(request);
                if (w != null) {
                    brokerFailed.increment();
                    w.deadline().cancel(false);
                    respond(w, 503, "the cluster broker is unavailable, retry later");
                }
            }
        });
    }

    @Override
    public void command(String origin, String session, long request, byte[] command) {
        if (!NODE_ID.matcher(origin).matches()) {
            log.warn("dropped a stream command from a node named {}, which is not a node id", origin);
            return;
        }
        received.increment();
        StreamCommands.Answer a = local.accept(session, command);
        hub.forwardTo(origin, Envelope.streamAnswer(hub.nodeId(), session, request, a.status(), a.text()))
                .whenComplete((v, e) -> {
                    if (e != null) {
                        log.debug("could not answer node {}'s stream command: {}", origin, e.toString());
                    }
                });
    }

    @Override
    public void answer(String session, long request, int status, String text) {
        Waiting w = take(request);
        if (w == null) {
            return; // timed out already, or not ours
        }
        w.deadline().cancel(false);
        answered.increment();
        respond(w, status >= 200 && status < 600 ? status : 502, text);
    }

    private Waiting take(long request) {
        Waiting w = waiting.remove(request);
        if (w != null) {
            waitingCount.decrementAndGet();
        }
        return w;
    }

    private static void respond(Waiting w, int status, String text) {
        try {
            w.ctx().executor().execute(() -> StreamCommands.answer(w.ctx(), w.keepAlive(),
                    HttpResponseStatus.valueOf(status), text));
        } catch (RejectedExecutionException stopping) {
            w.ctx().channel().close();
        }
    }
}
