package io.switchboard.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import io.switchboard.client.ClientConfig;
import io.switchboard.client.ClientListener;
import io.switchboard.client.ConnectionState;
import io.switchboard.client.Disconnect;
import io.switchboard.client.History;
import io.switchboard.client.Presence;
import io.switchboard.client.RoomJoined;
import io.switchboard.client.RoomListener;
import io.switchboard.client.SwitchboardClient;
import io.switchboard.client.SwitchboardClientException.AckTimeoutException;
import io.switchboard.client.SwitchboardClientException.ClientClosedException;
import io.switchboard.client.SwitchboardClientException.ConnectionLostException;
import io.switchboard.client.Transport;
import io.switchboard.client.Welcome;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.Command;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.Names;
import io.switchboard.protocol.internal.Backoff;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * {@link SwitchboardClient} over one Netty channel at a time.
 *
 * <p>Design: every client is pinned to one event loop of the {@link SharedLoops} at creation,
 * and registers each of its successive channels on that loop. All mutable state (the current
 * channel, the {@link Rooms} and their last offsets, the {@link PendingRequests}, the send queue) is
 * confined to that loop, so it needs no locks; public methods hop onto it with {@code loop.execute}.
 * Commands are the protocol's {@link Command} records, encoded by its {@link JsonCodec}. Events leave
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
    /** Encodes commands; the same codec (and rules) as the server's. */
    private static final JsonCodec CODEC = new JsonCodec();
    /** How long {@link #close()} waits for the closing handshake before giving up on it. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(3);
    /** Times a publish is sent again after connections dropped before its ack. */
    static final int PUBLISH_RESENDS = 3;
    /** After sending our close frame, how long to wait for the server's before dropping the socket. */
    private static final long CLOSE_HANDSHAKE_MILLIS = 2000;

    private final ClientConfig config;
    private final ClientListener listener;
    private final EventLoop loop;
    private final Executor callbacks;
    private final ReconnectPolicy reconnectPolicy;
    /** Frames accepted but not yet written; bounded, reserved by callers on their own thread. */
    private final SendQueue queue;
    private final CompletableFuture<Welcome> connectFuture = new CompletableFuture<>();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    /** The rooms in or joining; confined to {@link #loop} but for their names. */
    private final Rooms rooms;
    /** Commands waiting for their reply; confined to {@link #loop}. */
    private final PendingRequests pending;
    /** Where each message of the current connection goes. */
    private final ServerMessageRouter router;
    private final Connector connector;

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
    /** Whether connections are HTTP streams rather than WebSockets (from the start, or since a refused upgrade). */
    private volatile boolean streaming;
    /** True once any connection got a welcome: failures after that are retried. */
    private boolean everConnected;
    /** Consecutive failed attempts since the last welcome; the backoff exponent. */
    private int attempt;
    /** reconnectAfterMs of the last server_shutdown on the current connection, or -1. */
    private long shutdownHintMillis = -1;
    private ScheduledFuture<?> reconnectTimer;
    private ScheduledFuture<?> pingTimer;
    /** Set by {@link #beginClose} or {@link #terminate}: nothing reconnects any more. */
    private boolean closing;
    /** Close code and reason that ended the client, for ClientClosedException; read from any thread. */
    private volatile int terminalCode = 1000;
    private volatile String terminalReason = "client closed";

    public NettySwitchboardClient(ClientConfig config, ClientListener listener) {
        this.config = config;
        this.listener = listener == null ? ClientListener.NONE : listener;
        this.loop = SharedLoops.SHARED.group.next();
        Executor base = config.callbackExecutor() == null ? SharedLoops.SHARED.callbackPool : config.callbackExecutor();
        this.callbacks = new SerialExecutor(base);
        this.queue = new SendQueue(config.maxQueuedCommands(), callbacks);
        this.reconnectPolicy = new ReconnectPolicy(
                Backoff.fullJitter(config.initialBackoff(), config.maxBackoff(), config.random()), System::nanoTime);
        this.rooms = new Rooms(callbacks);
        this.pending = new PendingRequests(CODEC, loop, config.ackTimeout(), callbacks, this::timedOut);
        this.router = new ServerMessageRouter(this.listener, callbacks, rooms, pending, this::onWelcome,
                hint -> shutdownHintMillis = hint);
        this.connector = new Connector(config, loop, callbacks, () -> new ClientChannelHandler(this, router));
        this.streaming = config.transport() == Transport.HTTP_STREAMING;
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
    public Transport transport() {
        return streaming ? Transport.HTTP_STREAMING : Transport.WEBSOCKET;
    }

    @Override
    public Welcome welcome() {
        return welcome;
    }

    @Override
    public Set<String> rooms() {
        return rooms.names();
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
            RoomState rs = rooms.add(room, roomListener == null ? listener : roomListener);
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
            if (rs != null) {
                rooms.failWaiters(rs, new ConnectionLostException("left " + room + " before the join completed"));
            }
            if (rs == null || !sessionOpen) {
                // Not joined, or the connection is down: there is nothing on the server to leave.
                complete(result, null);
                return;
            }
            writeNow(pending.register(id -> new Command.LeaveRoom(id, room), n -> null, result));
        });
        return result;
    }

    /**
     * Every publish carries a fresh idempotency key, so that when the connection drops before the ack it is
     * sent again on the next connection ({@value #PUBLISH_RESENDS} times at most, within the ack timeout) and the
     * server, which remembers the key for {@code history.idempotencyWindow}, stores and delivers it once.
     */
    @Override
    public CompletableFuture<Long> publish(String room, String content, JsonNode data) {
        String key = idempotencyKey();
        CompletableFuture<Long> result = new CompletableFuture<>();
        if (!queue.reserve(result)) {
            return result;
        }
        loop.execute(() -> {
            if (state == ConnectionState.CLOSED) {
                queue.release();
                fail(result, closedException());
                return;
            }
            queue.add(pending.registerResendable(id -> new Command.RoomMessage(id, room, content, data, false, key),
                    n -> n.hasNonNull("offset") ? n.get("offset").asLong() : null, result, PUBLISH_RESENDS));
            drain();
        });
        return result;
    }

    /** 128 random bits, base64url: unique per publish without coordination. */
    private static String idempotencyKey() {
        byte[] bytes = new byte[16];
        ThreadLocalRandom.current().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    @Override
    public CompletableFuture<Void> sendPrivate(String userId, String content, JsonNode data) {
        return request(id -> new Command.PrivateMessage(id, userId, content, data), n -> null);
    }

    @Override
    public CompletableFuture<Void> broadcast(String content, JsonNode data) {
        return request(id -> new Command.Broadcast(id, content, data), n -> null);
    }

    @Override
    public CompletableFuture<Presence> presence(String room, int limit, String cursor) {
        return request(id -> new Command.Presence(id, room, limit, cursor), Decode::presence);
    }

    @Override
    public CompletableFuture<History> history(String room, Long since, Integer limit) {
        return request(id -> new Command.History(id, room, since, limit), Decode::history);
    }

    @Override
    public CompletableFuture<Long> refreshToken(String token) {
        return request(id -> new Command.Refresh(id, token), n -> n.path("expiresAt").asLong());
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

    /** Reserves a slot in the bounded send queue, or fails the future and returns false. */
    private boolean reserve(CompletableFuture<?> future) {
        if (state == ConnectionState.CLOSED) {
            future.completeExceptionally(closedException());
            return false;
        }
        return queue.reserve(future);
    }

    /** Queues a command built around its id; the future completes with the decoded reply. */
    private <T> CompletableFuture<T> request(Function<JsonNode, Command> command, Function<JsonNode, T> decode) {
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
            queue.add(pending.register(command, decode, result));
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

    /** A request went unanswered (it has failed); an unanswered rejoin means the connection is not working. */
    private void timedOut(PendingRequest<?> p, AckTimeoutException timeout) {
        if (rooms.joinTimedOut(p, timeout) && channel != null) {
            channel.close();
        }
    }

    /** Writes queued commands while the session is open and the socket writable; one flush at the end. */
    private void drain() {
        if (sessionOpen && channel != null && queue.writeTo(channel)) {
            channel.flush();
        }
    }

    private void writeNow(QueuedFrame request) {
        request.pending().sent = true;
        channel.writeAndFlush(request.frame());
    }

    /**
     * Sends a join (with since when the room was joined before). The application's futures wait in
     * {@link RoomState#waiters} until a room_joined, a refusal, a timeout or the final close; a
     * dropped connection does not fail them, the rejoin on the next connection answers them.
     */
    private void sendJoin(RoomState rs) {
        Command.Since since = rs.since();
        QueuedFrame join = pending.register(id -> new Command.JoinRoom(id, rs.name, since),
                Decode::roomJoined, new CompletableFuture<RoomJoined>());
        PendingRequest<?> p = join.pending();
        p.room = rs.name;
        rs.pendingJoin = p;
        p.sent = true;
        channel.write(join.frame());
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
        connector.fetchToken(this::openChannel, problem -> connectionEnded(null, Disconnect.ABNORMAL, problem, false));
    }

    private void openChannel(String token) {
        if (state == ConnectionState.CLOSED) {
            return;
        }
        ChannelFuture f = connector.connect(token, streaming);
        channel = f.channel();
        f.addListener(r -> {
            if (!r.isSuccess() && channel == f.channel()) {
                connectionEnded(f.channel(), Disconnect.ABNORMAL, ConnectFailures.describe(r.cause()), false);
            }
        });
    }

    boolean isCurrent(Channel ch) {
        return ch == channel;
    }

    /** The upgrade completed on the current channel: start heartbeats and wait for welcome. */
    void handshakeComplete(Channel ch) {
        handshakeDone = true;
        pingTimer = connector.startPings(ch);
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
        boolean handshakeSeen = handshakeDone;
        channel = null;
        sessionOpen = false;
        handshakeDone = false;
        if (pingTimer != null) {
            pingTimer.cancel(false);
            pingTimer = null;
        }
        List<QueuedFrame> resend = pending.failSent(reason);
        for (int i = resend.size() - 1; i >= 0; i--) {
            QueuedFrame f = resend.get(i);
            if (queue.reserve(f.pending().future)) {
                queue.addFirst(f);
            } else {
                f.pending().finished = true;
            }
        }
        rooms.forgetPendingJoins();
        if (closing) {
            finishClose();
            return;
        }
        if (!streaming && config.transport() == Transport.AUTO && !handshakeSeen && upgradeRefused(code, reason)) {
            // Something on the way (a proxy) refuses WebSockets; the server itself answers the stream's door.
            streaming = true;
            Disconnect d = new Disconnect(code, reason + "; trying HTTP streaming", true, Duration.ZERO);
            dispatch(() -> listener.onDisconnected(d));
            attemptConnect();
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

    /** The end of a connection whose WebSocket upgrade was answered with an HTTP status or never completed. */
    private static boolean upgradeRefused(int code, String reason) {
        return code >= 300 && code < 600 || "upgrade timed out".equals(reason);
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
        if (ch.isActive() && handshakeDone && !streaming) {
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
        pending.failAll(closed);
        queue.failAll(closed);
        rooms.failAllWaiters(closed);
        if (!connectFuture.isDone()) {
            callbacks.execute(() -> connectFuture.completeExceptionally(
                    new ClientClosedException(code, "could not connect to " + config.uri() + ": " + reason + " (" + code + ")")));
        }
        callbacks.execute(() -> closeFuture.complete(null));
    }

    private ClientClosedException closedException() {
        return new ClientClosedException(terminalCode, "client is closed: " + terminalReason + " (" + terminalCode + ")");
    }

    // ------------------------------------------------------------------ the session opens (loop)

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
        for (RoomState rs : rooms.all()) {
            sendJoin(rs);
        }
        channel.flush();
        drain();
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
