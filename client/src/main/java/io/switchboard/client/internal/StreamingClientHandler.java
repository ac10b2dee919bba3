package io.switchboard.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.switchboard.protocol.JsonCodec;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * HTTP streaming (protocol section 11) behind the frames the rest of the client speaks, so that everything
 * above it works as on a WebSocket: {@code GET /stream} is sent when the channel opens; its {@code session}
 * event stands for the completed upgrade, every other event goes up as a text frame, and the server's
 * {@code close} event as a close frame. Text frames written down become {@code POST /stream/send} requests,
 * one at a time in write order (the protocol's order of one session's commands), each write completing when
 * the server accepted its command; pings become the JSON {@code ping}, whose {@code pong} keeps the receive
 * timeout from firing on a quiet stream.
 *
 * <p>Bounded: at most {@code maxQueued} commands wait to be posted; past that the connection is closed (the
 * client reconnects, and resends what was not answered). A POST answered 404 (the session ended) or 5xx, or
 * that fails, closes the connection as a network failure would.
 *
 * <p>Confined to the channel's event loop; the POSTs complete on the JDK client's threads and hop back.
 */
final class StreamingClientHandler extends ChannelDuplexHandler {
    /** Headers the JDK client sets itself and refuses from callers. */
    private static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade");
    private static final byte[] PING = "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8);
    /** Longest refusal body kept for the reason; the server's are one short line. */
    private static final int MAX_REASON_CHARS = 512;
    private static final JsonCodec CODEC = new JsonCodec();
    private static volatile HttpClient posts;

    private final URI streamUri;
    private final String token;
    private final Map<String, String> headers;
    private final int maxQueued;
    private final Duration postTimeout;
    private final EventStreamDecoder decoder;
    /** Commands not yet answered by the server, the first one being posted when {@link #posting}. */
    private final ArrayDeque<Post> queue = new ArrayDeque<>();
    private boolean posting;
    private URI sendUri;
    /** The status of a response that is not a stream, or 0. */
    private int refusedStatus;
    private final StringBuilder refusal = new StringBuilder();

    private record Post(byte[] body, ChannelPromise promise) {
    }

    StreamingClientHandler(URI webSocketUri, String token, Map<String, String> headers, int maxMessageBytes,
                           int maxQueued, Duration postTimeout) {
        this.streamUri = streamUri(webSocketUri);
        this.token = token;
        this.headers = headers;
        this.maxQueued = maxQueued;
        this.postTimeout = postTimeout;
        // A data line is the message plus "data: "; room for a long event name besides.
        this.decoder = new EventStreamDecoder(maxMessageBytes + 256);
    }

    /** The streaming endpoint of the server behind a WebSocket URI: same host, credentials and query. */
    static URI streamUri(URI ws) {
        String scheme = ws.getScheme().toLowerCase(Locale.ROOT).equals("wss") ? "https" : "http";
        return URI.create(scheme + "://" + ws.getRawAuthority() + "/stream"
                + (ws.getRawQuery() == null ? "" : "?" + ws.getRawQuery()));
    }

    private static HttpClient posts() {
        HttpClient c = posts;
        if (c == null) {
            synchronized (StreamingClientHandler.class) {
                if (posts == null) {
                    posts = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                }
                c = posts;
            }
        }
        return c;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        String target = streamUri.getRawPath() + (streamUri.getRawQuery() == null ? "" : "?" + streamUri.getRawQuery());
        FullHttpRequest get = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, target);
        get.headers().set(HttpHeaderNames.HOST, streamUri.getRawAuthority());
        get.headers().set(HttpHeaderNames.ACCEPT, "text/event-stream");
        get.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        headers.forEach((k, v) -> get.headers().set(k, v));
        if (token != null && !token.isEmpty()) {
            get.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
        }
        ctx.writeAndFlush(get, ctx.voidPromise());
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpResponse res) {
                int status = res.status().code();
                if (status != 200) {
                    refusedStatus = status;
                }
            }
            if (msg instanceof HttpContent content) {
                if (refusedStatus != 0) {
                    keepReason(content.content());
                } else {
                    decoder.feed(content.content(), (event, data) -> event(ctx, event, data));
                }
                if (msg instanceof LastHttpContent) {
                    if (refusedStatus != 0) {
                        ctx.fireExceptionCaught(new StreamRefusedException(refusedStatus, refusal.toString().trim()));
                    } else {
                        ctx.close(); // the server ended the stream
                    }
                }
            }
        } catch (RuntimeException e) {
            ctx.fireExceptionCaught(e);
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void keepReason(ByteBuf body) {
        int room = MAX_REASON_CHARS - refusal.length();
        if (room > 0) {
            refusal.append(body.toString(body.readerIndex(), Math.min(room, body.readableBytes()),
                    StandardCharsets.UTF_8));
        }
    }

    private void event(ChannelHandlerContext ctx, String event, String data) {
        switch (event) {
            case "session" -> {
                JsonNode told = parse(data);
                String session = told.path("session").asText("");
                String send = told.path("send").asText("/stream/send");
                if (session.isEmpty() || !send.startsWith("/")) {
                    throw new IllegalStateException("the stream's session event names no session: " + data);
                }
                sendUri = streamUri.resolve(send + "?session=" + URLEncoder.encode(session, StandardCharsets.UTF_8));
                ctx.fireUserEventTriggered(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
            }
            case "close" -> {
                JsonNode close = parse(data);
                ctx.fireChannelRead(new CloseWebSocketFrame(close.path("code").asInt(1006),
                        close.path("reason").asText("")));
            }
            default -> ctx.fireChannelRead(new TextWebSocketFrame(data));
        }
    }

    private static JsonNode parse(String data) {
        try {
            return CODEC.mapper().readTree(data);
        } catch (IOException e) {
            throw new IllegalStateException("an event that is not JSON: " + e.getMessage(), e);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (!(msg instanceof WebSocketFrame frame)) {
            ctx.write(msg, promise);
            return;
        }
        try {
            if (frame instanceof TextWebSocketFrame || frame instanceof PingWebSocketFrame) {
                byte[] body = frame instanceof PingWebSocketFrame ? PING : ByteBufUtil.getBytes(frame.content());
                post(ctx, new Post(body, promise));
            } else if (frame instanceof BinaryWebSocketFrame) {
                promise.setFailure(new UnsupportedOperationException(
                        "binary frames need a WebSocket: HTTP streaming carries JSON commands only"));
            } else {
                promise.setSuccess(); // close and pong frames: a stream ends by closing the connection
            }
        } finally {
            frame.release();
        }
    }

    private void post(ChannelHandlerContext ctx, Post p) {
        if (!ctx.channel().isActive()) {
            p.promise().setFailure(new ClosedChannelException());
            return;
        }
        if (sendUri == null) {
            p.promise().setFailure(new IllegalStateException("no session yet: the stream has not opened"));
            return;
        }
        if (queue.size() >= maxQueued) {
            p.promise().setFailure(new IllegalStateException("more than " + maxQueued + " commands waiting to be posted"));
            ctx.fireExceptionCaught(new IOException("more than " + maxQueued + " commands waiting to be posted"
                    + " (maxQueuedCommands): the server does not take them fast enough"));
            return;
        }
        queue.add(p);
        postNext(ctx);
    }

    private void postNext(ChannelHandlerContext ctx) {
        Post p = queue.peek();
        if (posting || p == null || !ctx.channel().isActive()) {
            return;
        }
        posting = true;
        HttpRequest.Builder req = HttpRequest.newBuilder(sendUri).timeout(postTimeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(p.body()));
        headers.forEach((k, v) -> {
            if (!RESTRICTED.contains(k.toLowerCase(Locale.ROOT))) {
                req.header(k, v);
            }
        });
        if (token != null && !token.isEmpty()) {
            req.header("Authorization", "Bearer " + token);
        }
        posts().sendAsync(req.build(), BodyHandlers.ofString()).whenComplete((res, error) -> ctx.executor().execute(() -> {
            posting = false;
            if (queue.peek() == p) {
                queue.poll();
            }
            if (error == null && res.statusCode() == 202) {
                p.promise().trySuccess();
                postNext(ctx);
                return;
            }
            String why = error != null ? "posting a command failed: " + error
                    : "command refused: " + res.statusCode() + " " + res.body().trim();
            p.promise().tryFailure(new IOException(why));
            if (error != null || res.statusCode() == 404 || res.statusCode() >= 500) {
                ctx.fireExceptionCaught(new IOException(why));
            } else {
                postNext(ctx); // 413 and the like refuse one command; the session goes on
            }
        }));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        ClosedChannelException closed = new ClosedChannelException();
        for (Post p : queue) {
            p.promise().tryFailure(closed);
        }
        queue.clear();
        super.channelInactive(ctx);
    }
}
