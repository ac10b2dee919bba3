package io.switchboard.core.hub;

import io.switchboard.core.hooks.LifecycleEvent.Type;
import io.switchboard.core.presence.PresenceStore;
import io.switchboard.core.presence.PresenceStore.LostEntries;
import io.switchboard.core.presence.PresenceStore.RoomMember;
import io.switchboard.core.presence.PresenceStore.UserConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports the connections of nodes that died: {@code leave} and {@code disconnect} with reason
 * {@value #REASON} (and {@code vacated} for the rooms they leave empty), from one surviving node, once.
 *
 * <p>Who is lost is decided here and only here, from what presence gives: a node that stopped refreshing its
 * entries for the store's TTL, claimed by one survivor ({@link PresenceStore#claimLostNode}). A registry of live
 * nodes replaces that claim without touching the rest. Each entry the claimer removes is reported only by the
 * caller whose removal took it, so a claim taken over after its lease ran out (the claimer died mid-sweep) does
 * not report a connection twice.
 *
 * <p>Thread-safe; {@link #sweep} runs one sweep at a time (a call while one runs does nothing) and never blocks:
 * it continues on the store's threads.
 */
final class LostNodes {
    private static final Logger log = LoggerFactory.getLogger(LostNodes.class);
    /** The reason the events of a lost node's connections carry. */
    static final String REASON = "node_lost";
    /** Removals issued at once: well under the store connection's bound on commands in flight. */
    static final int CHUNK = 500;
    /** Nodes one sweep claims at most; the next sweep takes the rest. */
    private static final int MAX_NODES_PER_SWEEP = 16;

    private final PresenceStore presence;
    private final BackendCalls calls;
    private final HookEmitter hooks;
    private final String nodeId;
    private final Duration lease;
    /** Guards against overlapping sweeps. */
    private final AtomicBoolean running = new AtomicBoolean();

    /** @param lease how long a claim keeps other survivors off a lost node */
    LostNodes(HubContext ctx, Duration lease) {
        this.presence = ctx.presence();
        this.calls = ctx.calls();
        this.hooks = ctx.hooks();
        this.nodeId = ctx.nodeId();
        this.lease = lease;
    }

    /** Claims lost nodes and reports their connections; completes with how many nodes it handled. */
    CompletableFuture<Integer> sweep() {
        if (!running.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(0);
        }
        return next(0).whenComplete((n, e) -> running.set(false));
    }

    private CompletableFuture<Integer> next(int done) {
        if (done == MAX_NODES_PER_SWEEP) {
            return CompletableFuture.completedFuture(done);
        }
        return calls.store(() -> presence.claimLostNode(nodeId, lease)).thenCompose(lost -> lost == null
                ? CompletableFuture.completedFuture(done)
                : release(lost).thenCompose(v -> next(done + 1)));
    }

    private CompletableFuture<Void> release(String lost) {
        return calls.store(() -> presence.lostEntries(lost)).thenCompose(entries -> {
            log.info("node {} is lost: reporting its {} connections and {} room members", lost,
                    entries.connections().size(), entries.members().size());
            return leaveRooms(entries, 0);
        }).thenCompose(entries -> disconnect(entries, 0))
                .thenCompose(v -> calls.store(() -> presence.forgetLostNode(lost)));
    }

    /** Removes the members from {@code from} on, a chunk at a time; its leaves come before any disconnect. */
    private CompletableFuture<LostEntries> leaveRooms(LostEntries lost, int from) {
        List<RoomMember> members = lost.members();
        if (from >= members.size()) {
            return CompletableFuture.completedFuture(lost);
        }
        List<CompletableFuture<Void>> chunk = new ArrayList<>();
        for (RoomMember m : members.subList(from, Math.min(members.size(), from + CHUNK))) {
            chunk.add(calls.store(() -> presence.leave(m.room(), lost.nodeId(), m.connId())).thenAccept(l -> {
                if (l.removed()) {
                    hooks.lost(Type.LEAVE, lost.nodeId(), m.userId(), m.connId(), m.room(), REASON);
                }
                if (l.vacated()) {
                    hooks.lost(Type.VACATED, lost.nodeId(), m.userId(), m.connId(), m.room(), REASON);
                }
            }));
        }
        return CompletableFuture.allOf(chunk.toArray(CompletableFuture[]::new))
                .thenCompose(v -> leaveRooms(lost, from + CHUNK));
    }

    private CompletableFuture<Void> disconnect(LostEntries lost, int from) {
        List<UserConnection> conns = lost.connections();
        if (from >= conns.size()) {
            return CompletableFuture.completedFuture(null);
        }
        List<CompletableFuture<Void>> chunk = new ArrayList<>();
        for (UserConnection u : conns.subList(from, Math.min(conns.size(), from + CHUNK))) {
            chunk.add(calls.store(() -> presence.disconnect(u.userId(), lost.nodeId(), u.connId())).thenAccept(r -> {
                if (r) {
                    hooks.lost(Type.DISCONNECT, lost.nodeId(), u.userId(), u.connId(), null, REASON);
                }
            }));
        }
        return CompletableFuture.allOf(chunk.toArray(CompletableFuture[]::new))
                .thenCompose(v -> disconnect(lost, from + CHUNK));
    }
}
