package io.switchboard.core.command;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.DisconnectReason;
import io.switchboard.core.HubException;
import io.switchboard.core.TimeSource;
import io.switchboard.core.auth.Grants;
import io.switchboard.core.auth.TokenException;
import io.switchboard.core.auth.TokenVerifier;
import io.switchboard.core.config.CoreConfig;
import io.switchboard.core.config.Security;
import io.switchboard.core.hub.Connection;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.hub.HubStats;
import io.switchboard.core.hub.JoinCallback;
import io.switchboard.core.hub.JoinResult;
import io.switchboard.core.limit.TokenBucket;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.core.policy.RoomPolicy;
import io.switchboard.core.proxy.ClientProxy;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.Command;
import io.switchboard.protocol.ErrorCode;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ProtocolException;
import io.switchboard.protocol.ServerMessage;
import io.switchboard.protocol.ServerMessage.RoomMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes client commands (PROTOCOL.md section 3) against the hub and answers them. Stateless and
 * thread-safe; each call runs on the connection's shard thread and never throws: bad input becomes an
 * error reply, and {@code websocket.maxInvalidMessages} invalid commands in a row close with 1008.
 */
public final class CommandHandler {
    private static final Logger log = LoggerFactory.getLogger(CommandHandler.class);

    private final Hub hub;
    private final JsonCodec codec;
    private final TimeSource time;
    private final HubMetrics metrics;
    private final HubStats stats;
    private final CoreConfig config;
    /** Verifies {@code refresh} tokens; null when authentication is off. */
    private final TokenVerifier tokens;
    /** Asked before joins and client messages, and for {@code rpc}; {@link ClientProxy#NONE} without proxies. */
    private final ClientProxy proxy;

    public CommandHandler(Hub hub) {
        this(hub, null);
    }

    /** With a token verifier, {@code refresh} replaces the connection's grants; without, it is refused. */
    public CommandHandler(Hub hub, TokenVerifier tokens) {
        this(hub, tokens, ClientProxy.NONE);
    }

    /** With the backend's proxies: joins and client messages wait for its answer, {@code rpc} goes to it. */
    public CommandHandler(Hub hub, TokenVerifier tokens, ClientProxy proxy) {
        this.proxy = proxy;
        this.hub = hub;
        this.codec = hub.codec();
        this.time = hub.time();
        this.metrics = hub.metrics();
        this.stats = hub.stats();
        this.config = hub.config();
        this.tokens = tokens;
    }

    /** Decodes and executes one text frame's payload. */
    public void handleText(Connection c, byte[] utf8, int offset, int length) {
        long start = time.nanoTime();
        stats.received();
        metrics.messageReceived(HubMetrics.FrameType.TEXT, length);
        Command command;
        try {
            command = codec.decodeCommand(utf8, offset, length);
        } catch (ProtocolException e) {
            ServerMessage.Error reply = e.toReply();
            invalid(c, reply);
            metrics.commandProcessed(c.connId(), c.session(), HubMetrics.INVALID_COMMAND, start, time.nanoTime(), reply.code());
            return;
        }
        c.validCommand();
        String error = execute(c, command, command.id());
        metrics.commandProcessed(c.connId(), c.session(), command.type(), start, time.nanoTime(), error);
    }

    /** Executes one decoded command. */
    public void handle(Connection c, Command command) {
        execute(c, command, command.id());
    }

    /**
     * Executes a command and sends its reply; returns the wire name of the error the client got, or null
     * (also when the reply is still on its way from a remote store).
     */
    private String execute(Connection c, Command command, JsonNode id) {
        try {
            Object reply = execute(c, command);
            boolean inTurn = !(command instanceof Command.Rpc);
            if (reply instanceof ServerMessage m && (!inTurn || c.replyTurn().isDone())) {
                hub.send(c, m);
            } else if (reply != null) {
                replyWhenKnown(c, command, id, reply, inTurn);
            }
            return null;
        } catch (HubException e) {
            return fail(c, command, id, e);
        } catch (RuntimeException e) {
            log.error("command {} from {} failed", command.type(), c.connId(), e);
            metrics.commandFailed(ErrorCode.INTERNAL.wireName());
            hub.send(c, new ServerMessage.Error(id, ErrorCode.INTERNAL, "internal error"));
            return ErrorCode.INTERNAL.wireName();
        }
    }

    /**
     * Sends a reply once it is known and, {@code inTurn}, every earlier reply of the connection went out. A store may
     * answer on its own thread while a later command's reply is ready at once on the shard; without the turn the
     * later reply would be written first. An {@code rpc} result takes no turn: the backend may think for up to
     * {@code proxy.timeout}, and the connection's other replies must not wait for it. Shard thread.
     */
    private void replyWhenKnown(Connection c, Command command, JsonNode id, Object reply, boolean inTurn) {
        CompletableFuture<?> answer = reply instanceof CompletionStage<?> pending ? pending.toCompletableFuture()
                : CompletableFuture.completedFuture(reply);
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> previous = inTurn ? c.replyTurn(mine) : CompletableFuture.completedFuture(null);
        CompletableFuture.allOf(previous, answer).whenComplete((v, e) -> onShard(c, () -> {
            try {
                if (e != null) {
                    fail(c, command, id, Hub.unavailable(command.type(), e));
                } else if (answer.join() instanceof ServerMessage m) {
                    hub.send(c, m);
                }
            } finally {
                mine.complete(null);
            }
        }, () -> mine.complete(null)));
    }

    private String fail(Connection c, Command command, JsonNode id, HubException e) {
        metrics.commandFailed(e.code().wireName());
        hub.send(c, new ServerMessage.Error(id, e.code(), e.getMessage()));
        return e.code().wireName();
    }

    /** Answers an invalid command and closes the connection once it keeps sending them. */
    public void invalid(Connection c, ServerMessage.Error error) {
        metrics.decodeFailed(error.code());
        hub.send(c, error);
        int max = config.websocket().maxInvalidMessages();
        if (c.invalidCommand() >= max) {
            hub.close(c, CloseCode.POLICY_VIOLATION, "too many invalid messages", DisconnectReason.POLICY);
        }
    }

    /** The reply: a message, null for none, or a stage that completes with one (or null). */
    private Object execute(Connection c, Command command) throws HubException {
        JsonNode id = command.id();
        if (command instanceof Command.Ping) {
            return new ServerMessage.Pong(id);
        } else if (command instanceof Command.Echo echo) {
            return new ServerMessage.EchoReply(id, echo.content(), echo.data());
        } else if (command instanceof Command.JoinRoom join) {
            mayRead(c, join.room());
            if (proxy.proxies(ClientProxy.Call.SUBSCRIBE) && !c.isMember(join.room())) {
                proxiedJoin(c, join);
            } else {
                join(c, join);
            }
            return null;
        } else if (command instanceof Command.LeaveRoom leave) {
            hub.leave(c, leave.room());
            return new ServerMessage.RoomLeft(id, leave.room());
        } else if (command instanceof Command.RoomMessage m) {
            mayPublish(c, m.room());
            if (proxy.proxies(ClientProxy.Call.PUBLISH)) {
                return proxiedPublish(c, m);
            }
            return reply(hub.publish(c, m.room(), m.content(), m.data(), m.echo(), m.idempotencyKey()),
                    offset -> id == null ? null : new ServerMessage.Ack(id, offset));
        } else if (command instanceof Command.PrivateMessage pm) {
            return reply(sendPrivate(c, pm), n -> id == null ? null : new ServerMessage.Ack(id, null));
        } else if (command instanceof Command.Broadcast b) {
            return reply(hub.broadcast(admitBroadcast(c, b), c),
                    v -> id == null ? null : new ServerMessage.Ack(id, null));
        } else if (command instanceof Command.Presence p) {
            mayRead(c, p.room());
            RoomPolicy policy = hub.policy(p.room());
            if (policy.presence() == RoomPolicy.Presence.OFF) {
                throw new HubException(ErrorCode.PRESENCE_DISABLED, "presence is off in room " + p.room() + " ("
                        + policy.key("presence") + ": off)");
            }
            return presence(c, p, policy);
        } else if (command instanceof Command.History h) {
            mayRead(c, h.room());
            return reply(hub.history(h.room(), h.since(), h.limit()),
                    page -> new ServerMessage.History(id, h.room(), page.epoch(), page.messages()));
        } else if (command instanceof Command.Refresh r) {
            return refresh(c, r);
        } else if (command instanceof Command.Rpc rpc) {
            if (!proxy.proxies(ClientProxy.Call.RPC)) {
                throw new HubException(ErrorCode.INVALID_FIELD, "rpc needs a backend (proxy.rpc), which is not"
                        + " configured on this server");
            }
            return reply(proxy.rpc(c.connId(), c.userId(), rpc.method(), rpc.data()),
                    data -> new ServerMessage.RpcResult(id, data));
        }
        throw new IllegalStateException("unhandled command " + command.type());
    }

    /** Joining, presence and history need the room in the connection's {@code rooms} grant. */
    private static void mayRead(Connection c, String room) throws HubException {
        if (room != null && !c.grants().mayRead(room)) {
            throw new HubException(ErrorCode.FORBIDDEN, "not allowed in room " + room);
        }
    }

    /** Publishing needs the room in the connection's {@code publish} grant (membership is checked by the hub). */
    public static void mayPublish(Connection c, String room) throws HubException {
        if (room != null && !c.grants().mayPublish(room)) {
            throw new HubException(ErrorCode.FORBIDDEN, "not allowed to publish to room " + room);
        }
    }

    /**
     * A private message needs the server to allow them ({@code security.privateMessages}), the connection's
     * grant, and with {@code sharedRoom} a room the recipient shares with the sending connection.
     */
    private CompletionStage<Integer> sendPrivate(Connection c, Command.PrivateMessage pm)
            throws HubException {
        String policy = config.security().privateMessages();
        if (policy.equals(Security.PRIVATE_OFF)) {
            throw new HubException(ErrorCode.FORBIDDEN,
                    "private messages are off on this server (security.privateMessages: off)");
        }
        if (!c.grants().privateMessages()) {
            throw new HubException(ErrorCode.FORBIDDEN, config.security().requireAuth()
                    ? "not allowed to send private messages: the token has the claim \"private\": false"
                            + " or may publish to no room"
                    : "not allowed to send private messages: no room to publish to (security.allowedRooms)");
        }
        if (policy.equals(Security.PRIVATE_SHARED_ROOM)) {
            return hub.sendPrivateToRoommate(c, pm.to(), pm.content(), pm.data());
        }
        return hub.sendPrivate(c.userId(), c.connId(), pm.to(), pm.content(), pm.data());
    }

    /**
     * A broadcast is one message in, one per connection of the cluster out: it needs its own grant, and
     * has its own size cap and per-connection rate, far below a room message's. A refused size costs no
     * rate. Returns the encoded broadcast. Shard thread.
     */
    private byte[] admitBroadcast(Connection c, Command.Broadcast b) throws HubException {
        if (!c.grants().broadcast()) {
            throw new HubException(ErrorCode.FORBIDDEN, config.security().requireAuth()
                    ? "not allowed to broadcast: the token needs the claim \"broadcast\": true"
                    : "not allowed to broadcast: security.clientBroadcast is false");
        }
        Security limits = config.security();
        byte[] json = hub.encodeBroadcast(c.userId(), c.connId(), b.content(), b.data());
        if (json.length > limits.broadcastMaxBytes()) {
            throw new HubException(ErrorCode.MESSAGE_TOO_LARGE, "broadcast of " + json.length
                    + " bytes is larger than " + limits.broadcastMaxBytes() + " (security.broadcastMaxBytes)");
        }
        long now = time.nanoTime();
        TokenBucket rate = c.broadcastRate(
                () -> new TokenBucket(limits.broadcastPerSecond(), limits.broadcastPerSecond(), now));
        if (!rate.tryTake(now)) {
            throw new HubException(ErrorCode.RATE_LIMITED, "more than " + limits.broadcastPerSecond()
                    + " broadcasts per second (security.broadcastPerSecond)");
        }
        return json;
    }

    /** Replaces the connection's grants with a new token's, for the same user; pushes the expiry back. */
    private ServerMessage refresh(Connection c, Command.Refresh r) throws HubException {
        if (tokens == null) {
            throw new HubException(ErrorCode.INVALID_FIELD,
                    "token refresh needs authentication, which is off on this server");
        }
        Grants grants;
        try {
            grants = tokens.verify(r.token());
        } catch (TokenException e) {
            throw new HubException(ErrorCode.FORBIDDEN, "token refused: " + e.getMessage());
        }
        if (!grants.userId().equals(c.userId())) {
            throw new HubException(ErrorCode.FORBIDDEN, "token is for another user");
        }
        c.grants(grants);
        leaveRevokedRooms(c);
        return new ServerMessage.Refreshed(r.id(), grants.expiresAtMillis());
    }

    /**
     * Takes the connection out of every room its grants no longer let it read, as a leave the members
     * see, and tells it with {@code room_left} and reason {@code grant_revoked}: a refresh that narrows
     * the grants must stop the deliveries too, not only later joins and reads. Shard thread.
     */
    private void leaveRevokedRooms(Connection c) {
        Grants grants = c.grants();
        for (String room : new ArrayList<>(c.rooms())) {
            if (!grants.mayRead(room)) {
                try {
                    hub.leave(c, room);
                } catch (HubException alreadyGone) {
                    continue;
                }
                hub.send(c, new ServerMessage.RoomLeft(null, room, ServerMessage.RoomLeft.GRANT_REVOKED));
            }
        }
    }

    /**
     * The reply once {@code stage} completed: built at once when it already has (in-memory stores), so
     * that a single node answers in the same task as before; otherwise a stage of the reply.
     */
    private static <T> Object reply(CompletionStage<T> stage, Function<T, ServerMessage> build) {
        CompletableFuture<T> f = stage.toCompletableFuture();
        if (f.isDone() && !f.isCompletedExceptionally()) {
            return build.apply(f.join());
        }
        return f.thenApply(build);
    }

    /** Joins once the backend allowed it; its refusal is the client's error. */
    private void proxiedJoin(Connection c, Command.JoinRoom join) {
        proxy.subscribe(c.connId(), c.userId(), join.room()).whenComplete((v, e) -> onShard(c, () -> {
            try {
                if (e != null) {
                    throw Hub.unavailable("subscribe proxy", e);
                }
                mayRead(c, join.room()); // a refresh while the backend thought
                join(c, join);
            } catch (HubException refused) {
                fail(c, join, join.id(), refused);
            }
        }, () -> { }));
    }

    /**
     * Publishes what the backend allowed, in the order the client sent its messages: the backend is asked about
     * each at once, and each waits for the one before it to be handed to the hub.
     */
    private Object proxiedPublish(Connection c, Command.RoomMessage m) throws HubException {
        if (!c.isMember(m.room())) {
            throw HubException.notInRoom(m.room()); // before the backend is troubled
        }
        CompletableFuture<ClientProxy.Publication> verdict =
                proxy.publish(c.connId(), c.userId(), m.room(), m.content(), m.data()).toCompletableFuture();
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> previous = c.proxyTurn(mine);
        CompletableFuture<ServerMessage> reply = new CompletableFuture<>();
        JsonNode id = m.id();
        CompletableFuture.allOf(previous, verdict).whenComplete((v, e) -> onShard(c, () -> {
            try {
                if (e != null) {
                    throw Hub.unavailable("publish proxy", e);
                }
                ClientProxy.Publication p = verdict.join();
                hub.publish(c, m.room(), p.content(), p.data(), m.echo(), m.idempotencyKey()).whenComplete((offset, failed) -> {
                    if (failed != null) {
                        reply.completeExceptionally(failed);
                    } else {
                        reply.complete(id == null ? null : new ServerMessage.Ack(id, offset));
                    }
                });
            } catch (HubException refused) {
                reply.completeExceptionally(refused);
            } finally {
                mine.complete(null);
            }
        }, () -> mine.complete(null)));
        return reply;
    }

    /** Runs {@code task} on the connection's shard; {@code gone} when the shard no longer takes tasks. */
    private static void onShard(Connection c, Runnable task, Runnable gone) {
        try {
            c.shard().executor().execute(task);
        } catch (RejectedExecutionException e) {
            gone.run();
        }
    }

    /**
     * One page of members, cluster-wide, after the cursor; the reply's cursor continues while more remain. A
     * room that sends counts only reads no member at all.
     */
    private Object presence(Connection c, Command.Presence p, RoomPolicy policy) throws HubException {
        String after = PresenceCursor.decode(p.cursor());
        boolean listed = policy.presence() == RoomPolicy.Presence.FULL;
        return reply(hub.membersPage(p.room(), after, listed ? p.pageSize() : 0), page -> {
            List<ServerMessage.Member> members = page.members();
            String next = listed && page.more() && !members.isEmpty()
                    ? PresenceCursor.after(members.get(members.size() - 1)) : null;
            return new ServerMessage.Presence(p.id(), p.room(), listed ? members : null, page.count(), next);
        });
    }

    /** {@code room_joined} as the room's namespace shapes it: who is there, and why nothing was recovered. */
    private ServerMessage.RoomJoined roomJoined(Command.JoinRoom join, JoinResult r) {
        RoomPolicy policy = hub.policy(r.room());
        boolean listed = policy.presence() == RoomPolicy.Presence.FULL;
        Integer count = policy.presence() == RoomPolicy.Presence.OFF ? null : r.count();
        String reason = !Boolean.FALSE.equals(r.recovered()) ? null
                : policy.historySize() == 0 ? ServerMessage.RoomJoined.NO_HISTORY
                : ServerMessage.RoomJoined.NOT_RETAINED;
        return new ServerMessage.RoomJoined(join.id(), r.room(), count, listed ? r.members() : null,
                listed && r.truncated() ? Boolean.TRUE : null, r.position().offset(), r.position().epoch(),
                r.recovered(), reason);
    }

    /** Replays missed messages first, then answers {@code room_joined}, all before any newer delivery. */
    private void join(Connection c, Command.JoinRoom join) throws HubException {
        hub.join(c, join.room(), join.since(), new JoinCallback() {
            @Override
            public void joined(JoinResult r) {
                for (RoomMessage m : r.replay()) {
                    hub.send(c, m);
                }
                for (byte[] json : r.replayFrames()) {
                    hub.sendEncoded(c, json);
                }
                hub.send(c, roomJoined(join, r));
                if (r.latest() != null) {
                    hub.sendEncoded(c, r.latest());
                }
                // A refresh that dropped the room while the join waited on a remote store.
                leaveRevokedRooms(c);
            }

            @Override
            public void failed(HubException e) {
                fail(c, join, join.id(), e);
            }
        });
    }
}
