package io.switchboard.core.hub;

import io.switchboard.core.HubException;
import io.switchboard.core.broker.Envelope;
import io.switchboard.protocol.ServerMessage;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins and leaves the backend decides for a user: every connection of the user on this node joins or leaves
 * the room on its own shard, and hears of it with {@code "server":true}. The backend's word is the grant, so
 * the connection's own room grants are not consulted; its limits (rooms per connection, room size) are.
 * Thread-safe.
 */
final class ServerSubscriptions {
    private static final Logger log = LoggerFactory.getLogger(ServerSubscriptions.class);

    private final HubContext ctx;
    private final ConnectionRegistry connections;
    private final Joins joins;
    private final BiConsumer<Connection, ServerMessage> send;

    ServerSubscriptions(HubContext ctx, ConnectionRegistry connections, Joins joins,
                        BiConsumer<Connection, ServerMessage> send) {
        this.ctx = ctx;
        this.connections = connections;
        this.joins = joins;
        this.send = send;
    }

    /**
     * The backend's subscribe ({@code true}) or unsubscribe, cluster-wide: the other nodes hear of it through the
     * broker, this node's connections of the user at once. Returns how many connections this node has for the user.
     */
    int subscribeEverywhere(String userId, String room, boolean subscribe) {
        if (ctx.broker().reachesOtherNodes()) {
            BackendCalls.quietly(subscribe ? "subscribe" : "unsubscribe", ctx.calls().broker(() -> ctx.broker().publish(
                    Hub.BROADCAST_CHANNEL, Envelope.subscription(ctx.nodeId(), userId, room, subscribe).encode())));
        }
        return subscribe ? subscribe(userId, room) : unsubscribe(userId, room);
    }

    /** Joins the user's connections here to {@code room}; returns how many it asked. */
    int subscribe(String userId, String room) {
        return forEach(userId, c -> {
            if (c.isMember(room)) {
                return;
            }
            try {
                joins.join(c, room, null, new JoinCallback() {
                    @Override
                    public void joined(JoinResult r) {
                        send.accept(c, new ServerMessage.RoomJoined(null, r.room(), r.count(), r.members(),
                                r.truncated() ? Boolean.TRUE : null, r.position().offset(), r.position().epoch(), null,
                                null, true));
                    }

                    @Override
                    public void failed(HubException e) {
                        log.info("could not subscribe {} to {}: {}", c, room, e.getMessage());
                    }
                });
            } catch (HubException e) {
                log.info("could not subscribe {} to {}: {}", c, room, e.getMessage());
            }
        });
    }

    /** Takes the user's connections here out of {@code room}; returns how many it asked. */
    int unsubscribe(String userId, String room) {
        return forEach(userId, c -> {
            if (!c.isMember(room)) {
                return;
            }
            try {
                joins.leave(c, room);
                send.accept(c, new ServerMessage.RoomLeft(null, room, null, true));
            } catch (HubException e) {
                log.debug("{} had left {} already", c, room);
            }
        });
    }

    /** Runs {@code action} for each of the user's connections here, on its shard, unless it is gone. */
    private int forEach(String userId, java.util.function.Consumer<Connection> action) {
        Connection[] conns = connections.ofUser(userId);
        if (conns == null) {
            return 0;
        }
        for (Connection c : conns) {
            try {
                c.shard().executor().execute(() -> {
                    if (!c.removed) {
                        action.accept(c);
                    }
                });
            } catch (RejectedExecutionException e) {
                log.debug("{} is gone; not subscribed", c);
            }
        }
        return conns.length;
    }
}
