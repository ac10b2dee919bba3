package io.switchboard.core.hub;

import static io.switchboard.core.hub.BackendCalls.quietly;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.HubException;
import io.switchboard.core.broker.Broker;
import io.switchboard.core.broker.Envelope;
import io.switchboard.core.presence.PresenceStore;
import io.switchboard.core.transport.FrameFactory;
import io.switchboard.core.transport.OutboundFrame;
import io.switchboard.protocol.ErrorCode;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ServerMessage;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Messages outside rooms: private messages to a user's connections on every node, and broadcasts to every
 * connection. Thread-safe; deliveries run on each recipient's shard.
 */
final class DirectMessages {
    /** The broker channel every node subscribes to: broadcasts and kicks. */
    static final String BROADCAST_CHANNEL = "all";

    private final HubContext ctx;
    private final BackendCalls calls;
    private final PresenceStore presence;
    private final Broker broker;
    private final String nodeId;
    private final JsonCodec codec;
    private final FrameFactory frames;
    private final FanOut fanOut;
    private final Collection<Shard> shards;
    private final ConnectionRegistry connections;

    /**
     * @param shards the hub's shards (a live view)
     * @param connections this node's connections: a broadcast reaches those registered before it
     */
    DirectMessages(HubContext ctx, FrameFactory frames, FanOut fanOut, ConnectionRegistry connections,
                   Collection<Shard> shards) {
        this.ctx = ctx;
        this.calls = ctx.calls();
        this.presence = ctx.presence();
        this.broker = ctx.broker();
        this.nodeId = ctx.nodeId();
        this.codec = ctx.codec();
        this.frames = frames;
        this.fanOut = fanOut;
        this.shards = shards;
        this.connections = connections;
    }

    /**
     * Sends a private message to every connection of {@code to} in the cluster; completes with how many.
     * Fails with {@code user_not_found} when the user has none. Thread-safe.
     */
    CompletionStage<Integer> sendPrivate(String fromUser, String fromConn, String to, String content,
                                                JsonNode data) throws HubException {
        byte[] json = codec.encode(new ServerMessage.PrivateMessage(fromUser, fromConn, content, data,
                ctx.time().currentTimeMillis()));
        if (!broker.reachesOtherNodes()) {
            int n = deliverPrivate(to, json);
            if (n == 0) {
                throw userNotFound(to);
            }
            return CompletableFuture.completedFuture(n);
        }
        return calls.storeOrThrow(() -> presence.connections(to)).thenApply(conns -> {
            Set<String> nodes = new HashSet<>();
            for (PresenceStore.UserConnection uc : conns) {
                if (!uc.nodeId().equals(nodeId)) {
                    nodes.add(uc.nodeId());
                }
            }
            int local = deliverPrivate(to, json);
            if (nodes.isEmpty() && local == 0) {
                throw new CompletionException(userNotFound(to));
            }
            byte[] envelope = Envelope.privateMessage(nodeId, to, json).encode();
            for (String node : nodes) {
                quietly("private message", calls.broker(() -> broker.publish(Envelope.nodeChannel(node), envelope)));
            }
            int remote = 0;
            for (PresenceStore.UserConnection uc : conns) {
                remote += uc.nodeId().equals(nodeId) ? 0 : 1;
            }
            return local + remote;
        });
    }

    private static HubException userNotFound(String user) {
        return new HubException(ErrorCode.USER_NOT_FOUND, "user " + user + " is not connected");
    }

    /** Delivers a private message to the user's connections on this node; returns how many. */
    int deliverPrivate(String to, byte[] json) {
        Connection[] targets = connections.ofUser(to);
        if (targets == null) {
            return 0;
        }
        OutboundFrame frame = frames.text(json);
        int n = 0;
        try {
            for (Connection c : targets) {
                n++;
                fanOut.submit(c.shard(), frame, () -> {
                    if (c.shard().deliver(c, frame)) {
                        fanOut.recordSent(frame, 1);
                    }
                });
            }
        } finally {
            frame.release();
        }
        return n;
    }

    /** A broadcast as every connection receives it. Thread-safe. */
    byte[] encodeBroadcast(String fromUser, String fromConn, String content, JsonNode data) {
        return codec.encode(new ServerMessage.Broadcast(fromUser, fromConn, content, data,
                ctx.time().currentTimeMillis()));
    }

    /** Sends an encoded broadcast to every connection in the cluster but {@code exclude} (may be null). Any thread. */
    CompletionStage<Void> broadcast(byte[] json, Connection exclude) throws HubException {
        for (Shard s : shards) {
            if (!s.hasCapacity()) {
                throw new HubException(ErrorCode.UNAVAILABLE, "server overloaded, retry later");
            }
        }
        CompletableFuture<Void> remote = broker.reachesOtherNodes()
                ? calls.brokerOrThrow(() -> broker.publish(BROADCAST_CHANNEL,
                        Envelope.broadcast(nodeId, exclude == null ? null : exclude.connId(), json).encode()))
                : CompletableFuture.completedFuture(null);
        broadcastFrame(json, exclude, connections.lastSequence());
        return remote.exceptionally(e -> {
            throw new CompletionException(BackendCalls.unavailable("broadcasting to other nodes", e));
        });
    }

    /** Delivers another node's broadcast to the connections registered here so far. */
    void broadcastFromOtherNode(byte[] json) {
        broadcastFrame(json, null, connections.lastSequence());
    }

    /** Sends to every connection registered up to {@code registeredThrough}, except {@code exclude}. */
    void broadcastFrame(byte[] json, Connection exclude, long registeredThrough) {
        OutboundFrame frame = frames.text(json);
        try {
            for (Shard s : shards) {
                fanOut.submit(s, frame, () -> {
                    int delivered = s.deliverToAll(frame, exclude, registeredThrough);
                    fanOut.recordSent(frame, delivered);
                });
            }
        } finally {
            frame.release();
        }
    }
}
