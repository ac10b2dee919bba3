package io.switchboard.server.sse;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.switchboard.core.DisconnectReason;
import io.switchboard.core.config.Cluster;
import io.switchboard.core.config.Security;
import io.switchboard.core.hub.Connection;
import io.switchboard.core.limit.TokenBucket;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.ErrorCode;
import io.switchboard.protocol.ServerMessage;
import io.switchboard.server.http.HttpRequests;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;

/**
 * The way in of an HTTP streaming session ({@code GET /stream}): its commands come as
 * {@code POST /stream/send?session=ID}, one JSON command per request, and are handled on the session's event
 * loop as if its WebSocket had received them; the replies go out on the stream. The session id is a random
 * 128-bit capability followed by the node the stream lives on ({@code RANDOM.NODE}), told only on the stream
 * itself, so a request that carries it speaks for the session; it lives as long as the stream. A command posted
 * to another node of the cluster reaches this one over the broker ({@link StreamRelay}). The limits are a WebSocket's: {@code websocket.maxMessageBytes} per
 * command (413), {@code security.rateLimitRps}/{@code rateLimitBurst} per session (429, and close 4029 after
 * {@code security.maxRateLimitViolations} refusals in a row). Thread-safe: the registry is concurrent, each
 * session's bucket is used only on its event loop.
 */
public final class StreamCommands {
    /** The path commands are posted to. */
    public static final String PATH = "/stream/send";
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Characters of a session id's random part: 128 bits in unpadded base64url. */
    private static final int RANDOM_CHARS = 22;

    /** Live interactive streams by session id; bounded by the connection caps (each is a connection). */
    private final ConcurrentHashMap<String, Posting> sessions = new ConcurrentHashMap<>();
    private final SseContext context;
    private final Security security;
    private final int maxMessageBytes;
    private final StreamRelay relay;

    /** A stream that takes commands: its session, rate bucket and refusals in a row. Event loop only. */
    private static final class Posting {
        final SseSession session;
        final TokenBucket bucket;
        int violations;

        Posting(SseSession session, TokenBucket bucket) {
            this.session = session;
            this.bucket = bucket;
        }
    }

    StreamCommands(SseContext context, Security security, int maxMessageBytes, Cluster cluster) {
        this.context = context;
        this.security = security;
        this.maxMessageBytes = maxMessageBytes;
        this.relay = new StreamRelay(context.hub(), this, cluster);
        context.hub().forwardedCommands(relay);
    }

    /** The commands forwarded to and from other nodes (metrics, tests). */
    public StreamRelay relay() {
        return relay;
    }

    /** Registers an interactive stream; returns its session id. Its channel's close unregisters it. */
    String register(SseSession session) {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes) + "." + context.hub().nodeId();
        sessions.put(id, new Posting(session, new TokenBucket(security.rateLimitRps(), security.rateLimitBurst(),
                context.hub().time().nanoTime())));
        session.channel().closeFuture().addListener(f -> sessions.remove(id));
        return id;
    }

    /** Streams that take commands now (tests, metrics). */
    public int size() {
        return sessions.size();
    }

    /** {@code POST /stream/send?session=ID} with one command as the body. */
    public void handle(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (!req.method().equals(HttpMethod.POST)) {
            answer(ctx, keepAlive, HttpResponseStatus.METHOD_NOT_ALLOWED, "commands are POSTed");
            return;
        }
        String id = HttpRequests.queryParam(req, "session");
        String node = id == null ? null : nodeOf(id);
        int length = req.content().readableBytes();
        if (node != null && length > maxMessageBytes) {
            answer(ctx, keepAlive, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, tooLarge(length));
            return;
        }
        if (node != null && !node.equals(context.hub().nodeId()) && relay.reaches()) {
            // Another node's session: a balancer without sticky sessions sent the command here.
            relay.forward(ctx, keepAlive, node, id, ByteBufUtil.getBytes(req.content()));
            return;
        }
        Answer a = node == null ? Answer.NOT_FOUND : accept(id, ByteBufUtil.getBytes(req.content()));
        answer(ctx, keepAlive, HttpResponseStatus.valueOf(a.status()), a.text());
    }

    /** What became of a posted command: the HTTP status and text its poster gets. */
    record Answer(int status, String text) {
        static final Answer NOT_FOUND = new Answer(404, "no such session: it ended, open a new stream (GET /stream)");
        static final Answer ACCEPTED = new Answer(202, "accepted");
        static final Answer STOPPING = new Answer(503, "server is stopping");
    }

    /**
     * Hands a command for a session of this node to the session's event loop. Accepted means the reply, error or
     * not, comes on the stream, in order with the session's other messages. Thread-safe.
     */
    Answer accept(String id, byte[] command) {
        Posting posting = sessions.get(id);
        if (posting == null) {
            return Answer.NOT_FOUND;
        }
        if (command.length > maxMessageBytes) {
            return new Answer(413, tooLarge(command.length));
        }
        try {
            posting.session.channel().eventLoop().execute(() -> run(posting, command));
        } catch (RejectedExecutionException stopped) {
            return Answer.STOPPING;
        }
        return Answer.ACCEPTED;
    }

    private String tooLarge(int length) {
        return "command of " + length + " bytes exceeds websocket.maxMessageBytes (" + maxMessageBytes + ")";
    }

    /** The node a session id names ({@code RANDOM.NODE}), or null when it is not a session id at all. */
    static String nodeOf(String id) {
        if (id.length() < RANDOM_CHARS + 2 || id.length() > RANDOM_CHARS + 33 || id.charAt(RANDOM_CHARS) != '.') {
            return null;
        }
        for (int i = 0; i < RANDOM_CHARS; i++) {
            char c = id.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                return null;
            }
        }
        String node = id.substring(RANDOM_CHARS + 1);
        return StreamRelay.NODE_ID.matcher(node).matches() ? node : null;
    }

    /** On the session's event loop: the rate limit, then the command handler as for a WebSocket's text. */
    private void run(Posting posting, byte[] command) {
        Connection connection = posting.session.connection();
        if (connection == null || posting.session.closing()) {
            return;
        }
        long now = context.hub().time().nanoTime();
        connection.touch(now);
        if (!posting.bucket.tryTake(now)) {
            if (++posting.violations >= security.maxRateLimitViolations()) {
                context.counters().rateLimitCloses.increment();
                context.hub().close(connection, CloseCode.RATE_LIMITED, "rate limit exceeded",
                        DisconnectReason.RATE_LIMITED);
                return;
            }
            context.counters().messagesRateLimited.increment();
            context.hub().send(connection, new ServerMessage.Error(null, ErrorCode.RATE_LIMITED, "rate limit exceeded: "
                    + security.rateLimitRps() + " messages per second, bursts of " + security.rateLimitBurst()
                    + " (security.rateLimitRps)"));
            return;
        }
        posting.violations = 0;
        context.commands().handleText(connection, command, 0, command.length);
        posting.session.flush();
    }

    static void answer(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, String text) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(text + "\n", StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        HttpUtil.setContentLength(res, res.content().readableBytes());
        HttpUtil.setKeepAlive(res, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(res, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
