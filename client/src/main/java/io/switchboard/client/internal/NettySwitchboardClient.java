package io.switchboard.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import io.switchboard.client.ClientConfig;
import io.switchboard.client.ClientListener;
import io.switchboard.client.ConnectionState;
import io.switchboard.client.Disconnect;
import io.switchboard.client.History;
import io.switchboard.client.Presence;
import io.switchboard.client.RoomJoined;
import io.switchboard.client.RoomListener;
import io.switchboard.client.ServerError;
import io.switchboard.client.SwitchboardClient;
import io.switchboard.client.SwitchboardClientException.AckTimeoutException;
import io.switchboard.client.SwitchboardClientException.ClientClosedException;
import io.switchboard.client.SwitchboardClientException.ConnectionLostException;
import io.switchboard.client.SwitchboardClientException.ServerErrorException;
import io.switchboard.client.Welcome;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.Names;
import io.switchboard.protocol.internal.Backoff;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@link SwitchboardClient} over one Netty channel at a time.
 *
 * <p>Design: every client is pinned to one event loop of the {@link SharedLoops} at creation,
 * and registers each of its successive channels on that loop. All mutable state (the current
 * channel, rooms and their last offsets, pending requests, the send queue) is confined to that
 * loop, so it needs no locks; public methods hop onto it with {@code loop.execute}. Events leave
 * the loop through a {@link SerialExecutor}, which keeps them ordered without ever running user
 * code on the loop (unless the configured executor runs inline).
 *
 * <p>Exactly-once, in-order room delivery across reconnects rests on two facts of the protocol:
 * offsets increase by exactly one per room, and a {@code join_room} with {@code since} replays
 * missed messages before {@code room_joined} and before any live message. The client remembers the
 * last offset it delivered per room, rejoins with it, and drops anything at or below it.
 *
 * <p>Threading: thread-safe; mutable state confined to {@link #loop}.
 */
public final class NettySwitchboardClient implements SwitchboardClient {
    /** Decodes server messages into trees; the same rules as the server's codec. */
    private static final ObjectMapper MAPPER = new JsonCodec().mapper();
    /** How long {@link #close()} waits for the closing handshake before giving up on it. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(3);
    /** After sending our close frame, how long to wait for the server's before dropping the socket. */
    private static final long CLOSE_HANDSHAKE_MILLIS = 2000;


    private final ClientConfig config;
    private final ClientListener listener;
    /** Whether the listener overrides onServerMessage: if not, no per-message task is queued for it. */
    private final boolean tapsServerMessages;
    private final EventLoop loop;
    private final Executor callbacks;
    private final ReconnectPolicy reconnectPolicy;
    /** Frames accepted but not yet written; bounded, reserved by callers on their own thread. */
    private final SendQueue queue;
    private final CompletableFuture<Welcome> connectFuture = new CompletableFuture<>();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    /** Mirror of {@link #rooms}' keys for {@link #rooms()} from any thread. */
    private final Set<String> roomNames = ConcurrentHashMap.newKeySet();

    /** Written on the loop only; read anywhere. */
    private volatile ConnectionState state = ConnectionState.NEW;
    private volatile Welcome welcome;

    // ---- confined to loop ----
    /** The current channel, or null between connections. */
    private Channel channel;
    /** True once the current channel's welcome arrived: commands may flow. */
    private boolean sessionOpen;
    /** True once the current channel completed the WebSocket upgrade: a close frame can be sent. */
    private boolean handshakeDone;
    /** True once any connection got a welcome: failures after that are retried. */
    private boolean everConnected;
    /** Consecutive failed attempts since the last welcome; the backoff exponent. */
    private int attempt;
    /** reconnectAfterMs of the last server_shutdown on the current connection, or -1. */
    private long shutdownHintMillis = -1;
    private ScheduledFuture<?> reconnectTimer;
    private ScheduledFuture<?> pingTimer;
    private long nextId;
    private final Map<String, RoomState> rooms = new LinkedHashMap<>();
    private final Map<String, PendingRequest<?>> pending = new HashMap<>();
    /** Set by {@link #beginClose} or {@link #terminate}: nothing reconnects any more. */
    private boolean closing;
    /** Close code and reason that ended the client, for ClientClosedException; read from any thread. */
    private volatile int terminalCode = 1000;
    private volatile String terminalReason = "client closed";

    public NettySwitchboardClient(ClientConfig config, ClientListener listener) {
        this.config = config;
        this.listener = listener == null ? ClientListener.NONE : listener;
        this.tapsServerMessages = overrides(this.listener, "onServerMessage", JsonNode.class);
        this.loop = SharedLoops.SHARED.group.next();
        Executor base = config.callbackExecutor() == null ? SharedLoops.SHARED.callbackPool : config.callbackExecutor();
        this.callbacks = new SerialExecutor(base);
        this.queue = new SendQueue(config.maxQueuedCommands(), callbacks);
        this.reconnectPolicy = new ReconnectPolicy(
                Backoff.fullJitter(config.initialBackoff(), config.maxBackoff(), config.random()), System::nanoTime);
    }

    private static boolean overrides(ClientListener listener, String method, Class<?>... parameters) {
        try {
            return listener.getClass().getMethod(method, parameters).getDeclaringClass() != ClientListener.class;
        } catch (NoSuchMethodException e) {
            return true;
        }
    }

    // ------------------------------------------------------------------ public API (any thread)

    @Override
    public CompletableFuture<Welcome> connect() {
        loop.execute(() -> {
            if (state == ConnectionState.NEW) {
                setState(ConnectionState.CONNECTING);
                attemptConnect();
            }
        });
        return connectFuture;
    }

    @Override
    public ConnectionState state() {
        return state;
    }

    @Override
    public Welcome welcome() {
        return welcome;
    }

    @Override
    public Set<String> rooms() {
        return Set.copyOf(roomNames);
    }

    @Override
    public CompletableFuture<RoomJoined> join(String room, RoomListener roomListener) {
        CompletableFuture<RoomJoined> result = new CompletableFuture<>();
        if (!Names.isValidRoom(room)) {
            result.completeExceptionally(new IllegalArgumentException("room must match [A-Za-z0-9_.:@/-]{1,128}: " + room));
            return result;
        }
        loop.execute(() -> {
            if (state == ConnectionState.CLOSED) {
                fail(result, closedException());
                return;
            }
            RoomState rs = rooms.computeIfAbsent(room, RoomState::new);
            roomNames.add(room);
            rs.listener = roomListener == null ? listener : roomListener;
            rs.waiters.add(result);
            if (sessionOpen) {
                sendJoin(rs);
                channel.flush();
            }
        });
        return result;
    }

    @Override
    public CompletableFuture<Void> leave(String room) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        loop.execute(() -> {
            RoomState rs = rooms.remove(room);
            roomNames.remove(room);
            if (rs != null) {
                failWaiters(rs, new ConnectionLostException("left " + room + " before the join completed"));
            }
            if (rs == null || !sessionOpen) {
                // Not joined, or the connection is down: there is nothing on the server to leave.
                complete(result, null);
                return;
            }
            ObjectNode cmd = command("leave_room").put("room", room);
            PendingRequest<Void> p = register(cmd, "leave_room", n -> null, result);
            writeNow(cmd, p);
        });
        return result;
    }

    @Override
    public CompletableFuture<Long> publish(String room, String content, JsonNode data) {
        ObjectNode cmd = command("room_message").put("room", room);
        body(cmd, content, data);
        return request(cmd, n -> n.hasNonNull("offset") ? n.get("offset").asLong() : null);
    }

    @Override
    public CompletableFuture<Void> sendPrivate(String userId, String content, JsonNode data) {
        ObjectNode cmd = command("private_message").put("to", userId);
        body(cmd, content, data);
        return request(cmd, n -> null);
    }

    @Override
    public CompletableFuture<Void> broadcast(String content, JsonNode data) {
        ObjectNode cmd = command("broadcast");
        body(cmd, content, data);
        return request(cmd, n -> null);
    }

    @Override
    public CompletableFuture<Presence> presence(String room) {
        return request(command("presence").put("room", room), Decode::presence);
    }

    @Override
    public CompletableFuture<History> history(String room, Long since, Integer limit) {
        ObjectNode cmd = command("history").put("room", room);
        if (since != null) {
            cmd.put("since", since);
        }
        if (limit != null) {
            cmd.put("limit", limit);
        }
        return request(cmd, Decode::history);
    }

    @Override
    public CompletableFuture<Long> refreshToken(String token) {
        return request(command("refresh").put("token", token), n -> n.path("expiresAt").asLong());
    }

    @Override
    public CompletableFuture<Void> sendText(String json) {
        return enqueueRaw(json, null);
    }

    @Override
    public CompletableFuture<Void> sendBinary(byte[] frame) {
        return enqueueRaw(null, frame.clone());
    }

    @Override
    public CompletableFuture<Void> closeAsync() {
        loop.execute(this::beginClose);
        return closeFuture;
    }

    @Override
    public void close() {
        try {
            closeAsync().get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // Closing is best effort: the socket is dropped by the forced close either way.
        }
    }

    @Override
    public String toString() {
        return "SwitchboardClient[" + config.uri() + ", " + state + "]";
    }

    // ------------------------------------------------------------------ requests

    private static ObjectNode command(String type) {
        return MAPPER.createObjectNode().put("type", type);
    }

    private static void body(ObjectNode cmd, String content, JsonNode data) {
        if (content != null) {
            cmd.put("content", content);
        }
        if (data != null) {
            cmd.set("data", data);
        }
    }

    /** Reserves a slot in the bounded send queue, or fails the future and returns false. */
    private boolean reserve(CompletableFuture<?> future) {
        if (state == ConnectionState.CLOSED) {
            future.completeExceptionally(closedException());
            return false;
        }
        return queue.reserve(future);
    }

    private <T> CompletableFuture<T> request(ObjectNode cmd, Function<JsonNode, T> decode) {
        CompletableFuture<T> result = new CompletableFuture<>();
        if (!reserve(result)) {
            return result;
        }
        loop.execute(() -> {
            if (state == ConnectionState.CLOSED) {
                queue.release();
                fail(result, closedException());
                return;
            }
            PendingRequest<T> p = register(cmd, cmd.get("type").asText(), decode, result);
            queue.add(new QueuedFrame(cmd.toString(), null, p, null));
            drain();
        });
        return result;
    }

    private CompletableFuture<Void> enqueueRaw(String text, byte[] binary) {
        CompletableFuture<Void> written = new CompletableFuture<>();
        if (!reserve(written)) {
            return written;
        }
        loop.execute(() -> {
            if (state == ConnectionState.CLOSED) {
                queue.release();
                fail(written, closedException());
                return;
            }
            queue.add(new QueuedFrame(text, binary, null, written));
            drain();
        });
        return written;
    }

    /** Gives the command an id, remembers it until its reply, and starts its timeout. */
    private <T> PendingRequest<T> register(ObjectNode cmd, String type, Function<JsonNode, T> decode,
                                    CompletableFuture<T> future) {
        String id = "c" + (++nextId);
        cmd.put("id", id);
        PendingRequest<T> p = new PendingRequest<>(id, type, decode, future, callbacks);
        pending.put(id, p);
        p.timeout = loop.schedule(() -> timedOut(p), config.ackTimeout().toMillis(), TimeUnit.MILLISECONDS);
        return p;
    }

    private void timedOut(PendingRequest<?> p) {
        if (pending.remove(p.id) != p) {
            return;
        }
        AckTimeoutException timeout = new AckTimeoutException("no reply to " + p.type + " within "
                + config.ackTimeout().toMillis() + " ms");
        p.fail(timeout);
        RoomState rs = p.room == null ? null : rooms.get(p.room);
        if (rs != null && rs.pendingJoin == p) {
            rs.pendingJoin = null;
            failWaiters(rs, timeout);
            if (!rs.confirmed) {
                // A first join that was never answered: the application saw it fail, so forget the room.
                rooms.remove(p.room);
                roomNames.remove(p.room);
            } else if (channel != null) {
                // A rejoin that goes unanswered means the connection is not working: start over.
                channel.close();
            }
        }
    }

    /** Writes queued commands while the session is open and the socket writable; one flush at the end. */
    private void drain() {
        if (sessionOpen && channel != null && queue.writeTo(channel)) {
            channel.flush();
        }
    }

    private void writeNow(ObjectNode cmd, PendingRequest<?> p) {
        p.sent = true;
        channel.writeAndFlush(new TextWebSocketFrame(cmd.toString()));
    }

    /**
     * Sends a join (with since when the room was joined before). The application's futures wait in
     * {@link RoomState#waiters} until a room_joined, a refusal, a timeout or the final close; a
     * dropped connection does not fail them, the rejoin on the next connection answers them.
     */
    private void sendJoin(RoomState rs) {
        ObjectNode cmd = command("join_room").put("room", rs.name);
        rs.writeSince(cmd);
        PendingRequest<RoomJoined> p = register(cmd, "join_room", Decode::roomJoined, new CompletableFuture<>());
        p.room = rs.name;
        rs.pendingJoin = p;
        p.sent = true;
        channel.write(new TextWebSocketFrame(cmd.toString()));
    }

    private void failWaiters(RoomState rs, Throwable error) {
        for (CompletableFuture<RoomJoined> w : rs.waiters) {
            fail(w, error);
        }
        rs.waiters.clear();
    }

    // ------------------------------------------------------------------ connection lifecycle (loop)

    private void setState(ConnectionState next) {
        if (state != next) {
            state = next;
            dispatch(() -> listener.onStateChange(next));
        }
    }

    private void attemptConnect() {
        reconnectTimer = null;
        Supplier<String> tokens = config.tokenSupplier();
        if (tokens == null) {
            openChannel(null);
            return;
        }
        // The supplier may block (a refresh after 4001): call it off the loop, on the callback executor.
        callbacks.execute(() -> {
            String token;
            try {
                token = tokens.get();
            } catch (RuntimeException e) {
                loop.execute(() -> connectionEnded(null, Disconnect.ABNORMAL, "token supplier failed: " + e, false));
                return;
            }
            loop.execute(() -> openChannel(token));
        });
    }

    private void openChannel(String token) {
        if (state == ConnectionState.CLOSED) {
            return;
        }
        ClientChannelInitializer initializer = new ClientChannelInitializer(config, token, this::newHandler);
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(SharedLoops.SHARED.channelClass)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 256 * 1024))
                .handler(initializer);
        InetSocketAddress remote = new InetSocketAddress(initializer.host(), initializer.port());
        ChannelFuture f = config.localAddress() == null
                ? b.connect(remote)
                : b.connect(remote, new InetSocketAddress(config.localAddress(), 0));
        channel = f.channel();
        f.addListener(r -> {
            if (!r.isSuccess() && channel == f.channel()) {
                connectionEnded(f.channel(), Disconnect.ABNORMAL, "connect failed: " + r.cause(), false);
            }
        });
    }

    private ClientChannelHandler newHandler() {
        return new ClientChannelHandler(this);
    }

    boolean isCurrent(Channel ch) {
        return ch == channel;
    }

    /** The upgrade completed on the current channel: start heartbeats and wait for welcome. */
    void handshakeComplete(Channel ch) {
        handshakeDone = true;
        long interval = config.pingInterval().toMillis();
        pingTimer = loop.scheduleAtFixedRate(() -> {
            if (ch.isActive()) {
                ch.writeAndFlush(new PingWebSocketFrame(Unpooled.EMPTY_BUFFER));
            }
        }, interval, interval, TimeUnit.MILLISECONDS);
    }

    void writabilityChanged() {
        drain();
    }

    /**
     * The current channel is gone (closed, failed to connect, or failed to upgrade). Decides from
     * the close-code table whether and when to try again.
     */
    void connectionEnded(Channel ch, int code, String reason, boolean fromCloseFrame) {
        if (ch != null && ch != channel) {
            return;
        }
        channel = null;
        sessionOpen = false;
        handshakeDone = false;
        if (pingTimer != null) {
            pingTimer.cancel(false);
            pingTimer = null;
        }
        failSentRequests(reason);
        for (RoomState rs : rooms.values()) {
            rs.pendingJoin = null;
        }
        if (closing) {
            finishClose();
            return;
        }
        Duration delay = everConnected && config.reconnect()
                ? reconnectPolicy.delay(code, fromCloseFrame, attempt, shutdownHintMillis) : null;
        shutdownHintMillis = -1;
        if (delay == null) {
            Disconnect d = new Disconnect(code, reason, false, Duration.ZERO);
            dispatch(() -> listener.onDisconnected(d));
            terminate(code, reason);
            return;
        }
        attempt++;
        Disconnect d = new Disconnect(code, reason, true, delay);
        dispatch(() -> listener.onDisconnected(d));
        setState(ConnectionState.RECONNECTING);
        reconnectTimer = loop.schedule(this::attemptConnect, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void failSentRequests(String reason) {
        List<PendingRequest<?>> lost = new ArrayList<>();
        for (PendingRequest<?> p : pending.values()) {
            if (p.sent) {
                lost.add(p); // joins too: their waiters stay with the room for the rejoin
            }
        }
        for (PendingRequest<?> p : lost) {
            pending.remove(p.id);
            p.fail(new ConnectionLostException("connection lost before the reply to " + p.type + " (" + reason
                    + "); the server may or may not have applied it"));
        }
    }


    private void beginClose() {
        if (closing || state == ConnectionState.CLOSED) {
            return;
        }
        closing = true;
        if (reconnectTimer != null) {
            reconnectTimer.cancel(false);
            reconnectTimer = null;
        }
        Channel ch = channel;
        if (ch == null) {
            finishClose();
            return;
        }
        if (ch.isActive() && handshakeDone) {
            ch.writeAndFlush(new CloseWebSocketFrame(CloseCode.NORMAL.code(), CloseCode.NORMAL.reason()));
            loop.schedule(() -> {
                ch.close();
            }, CLOSE_HANDSHAKE_MILLIS, TimeUnit.MILLISECONDS);
        } else {
            ch.close();
        }
    }

    private void finishClose() {
        Disconnect d = new Disconnect(1000, "client closed", false, Duration.ZERO);
        dispatch(() -> listener.onDisconnected(d));
        terminate(1000, "client closed");
    }

    /** Final state: fail everything still waiting and stop. */
    private void terminate(int code, String reason) {
        terminalCode = code;
        terminalReason = reason;
        closing = true;
        channel = null;
        setState(ConnectionState.CLOSED);
        ClientClosedException closed = closedException();
        for (PendingRequest<?> p : new ArrayList<>(pending.values())) {
            p.fail(closed);
        }
        pending.clear();
        queue.failAll(closed);
        for (RoomState rs : rooms.values()) {
            failWaiters(rs, closed);
        }
        if (!connectFuture.isDone()) {
            callbacks.execute(() -> connectFuture.completeExceptionally(
                    new ClientClosedException(code, "could not connect to " + config.uri() + ": " + reason + " (" + code + ")")));
        }
        callbacks.execute(() -> closeFuture.complete(null));
    }

    private ClientClosedException closedException() {
        return new ClientClosedException(terminalCode, "client is closed: " + terminalReason + " (" + terminalCode + ")");
    }

    // ------------------------------------------------------------------ inbound (loop)

    void onText(JsonNode m) {
        if (tapsServerMessages) {
            dispatch(() -> listener.onServerMessage(m));
        }
        String type = m.path("type").asText("");
        switch (type) {
            case "welcome" -> onWelcome(m);
            case "room_message" -> onRoomMessage(m);
            case "room_joined" -> onRoomJoined(m);
            case "user_joined_room", "user_left_room" -> onMembership(m, type.equals("user_joined_room"));
            case "private_message", "broadcast" -> {
                var dm = Decode.direct(m, type.equals("broadcast"));
                dispatch(() -> listener.onDirectMessage(dm));
            }
            case "error" -> onError(m);
            case "server_shutdown" -> {
                shutdownHintMillis = Math.max(0, m.path("reconnectAfterMs").asLong(0));
                long hint = shutdownHintMillis;
                dispatch(() -> listener.onServerShutdown(hint));
            }
            default -> reply(m);
        }
    }

    void onBinary(byte[] frame) {
        dispatch(() -> listener.onBinary(frame));
    }

    void onInvalidText(String problem) {
        ServerError e = new ServerError("invalid_json", "server sent a frame that is not JSON: " + problem, null);
        dispatch(() -> listener.onError(e));
    }

    private void onWelcome(JsonNode m) {
        Welcome w = Decode.welcome(m);
        boolean reconnect = everConnected;
        welcome = w;
        everConnected = true;
        sessionOpen = true;
        attempt = 0;
        shutdownHintMillis = -1;
        setState(ConnectionState.CONNECTED);
        dispatch(() -> listener.onConnected(w, reconnect));
        if (!connectFuture.isDone()) {
            callbacks.execute(() -> connectFuture.complete(w));
        }
        // Rejoin first, so recovered messages come before anything the queue triggers.
        for (RoomState rs : rooms.values()) {
            sendJoin(rs);
        }
        channel.flush();
        drain();
    }

    private void onRoomMessage(JsonNode m) {
        var msg = Decode.roomMessage(m);
        RoomState rs = rooms.get(msg.room());
        // Not ours (left, or never joined), or already delivered before the reconnect.
        if (rs != null && rs.accept(msg.offset())) {
            RoomListener l = rs.listener;
            dispatch(() -> l.onRoomMessage(msg));
        }
    }

    private void onRoomJoined(JsonNode m) {
        RoomJoined joined = Decode.roomJoined(m);
        RoomState rs = rooms.get(joined.room());
        if (rs != null) {
            boolean recoveryFailed = rs.joined(joined);
            for (CompletableFuture<RoomJoined> w : rs.waiters) {
                complete(w, joined);
            }
            rs.waiters.clear();
            RoomListener l = rs.listener;
            dispatch(() -> {
                l.onJoined(joined);
                if (recoveryFailed) {
                    l.onRecoveryFailed(joined);
                }
            });
        }
        reply(m);
    }

    private void onMembership(JsonNode m, boolean joinedRoom) {
        String room = m.path("room").asText();
        RoomState rs = rooms.get(room);
        if (rs == null) {
            return;
        }
        var member = new io.switchboard.client.Member(m.path("userId").asText(null), m.path("connId").asText(null));
        RoomListener l = rs.listener;
        dispatch(() -> {
            if (joinedRoom) {
                l.onMemberJoined(room, member);
            } else {
                l.onMemberLeft(room, member);
            }
        });
    }

    private void onError(JsonNode m) {
        String code = m.path("code").asText("");
        String text = m.path("error").asText("");
        String id = m.hasNonNull("id") ? m.get("id").asText() : null;
        PendingRequest<?> p = id == null ? null : pending.remove(id);
        if (p == null) {
            ServerError e = new ServerError(code, text, id);
            dispatch(() -> listener.onError(e));
            return;
        }
        ServerErrorException refused = new ServerErrorException(code, text);
        p.fail(refused);
        RoomState rs = p.room == null ? null : rooms.get(p.room);
        if (rs != null && rs.pendingJoin == p) {
            // The server refused the (re)join: the room is not ours any more.
            rooms.remove(p.room);
            roomNames.remove(p.room);
            failWaiters(rs, refused);
            if (rs.confirmed) {
                ServerError e = new ServerError(code, "rejoin of " + p.room + " refused: " + text, id);
                dispatch(() -> listener.onError(e));
            }
        }
    }

    /** Completes the pending request the message answers, if any. */
    private void reply(JsonNode m) {
        JsonNode id = m.get("id");
        if (id == null || id.isNull()) {
            return;
        }
        PendingRequest<?> p = pending.remove(id.asText());
        if (p != null) {
            p.succeed(m);
        }
    }

    boolean isClosing() {
        return closing;
    }

    // ------------------------------------------------------------------ callbacks

    private void dispatch(Runnable event) {
        callbacks.execute(event);
    }

    private <T> void complete(CompletableFuture<T> f, T value) {
        callbacks.execute(() -> f.complete(value));
    }

    private void fail(CompletableFuture<?> f, Throwable error) {
        callbacks.execute(() -> f.completeExceptionally(error));
    }
}
