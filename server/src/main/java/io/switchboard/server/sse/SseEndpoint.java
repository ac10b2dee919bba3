package io.switchboard.server.sse;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.switchboard.core.DisconnectReason;
import io.switchboard.core.auth.Grants;
import io.switchboard.core.command.CommandHandler;
import io.switchboard.core.hub.Connection;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.limit.SecurityCounters;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.Command;
import io.switchboard.protocol.Names;
import io.switchboard.server.buffer.OutboundLimit;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.server.http.HttpRequests;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /sse?rooms=a,b} (read-only) and {@code GET /stream?rooms=a,b} (HTTP streaming: the same stream,
 * whose first event {@code session} names the id its commands are posted with, see {@link StreamCommands}):
 * opens a Server-Sent Events stream for a request the upgrade guard admitted
 * (origin, credentials, connection caps, as for a WebSocket), registers it with the hub as a connection and
 * joins its rooms as {@code join_room} commands would, from the position of {@code Last-Event-ID} (header, or
 * {@code ?lastEventId=} for clients that cannot set it) when there is one. Read-only: the stream takes no
 * commands. Thread-safe; each stream lives on its channel's event loop.
 */
public final class SseEndpoint {
    private static final Logger log = LoggerFactory.getLogger(SseEndpoint.class);
    /** The path of the read-only endpoint. */
    public static final String PATH = "/sse";
    /** The path of the HTTP streaming endpoint, whose commands are posted to {@link StreamCommands#PATH}. */
    public static final String STREAM_PATH = "/stream";
    /** The first event of an interactive stream: its session id. */
    static final String SESSION = "session";
    /** The pipeline name of a stream's last stage. */
    static final String STAGE = "sse";
    /** How long a browser waits before it reconnects a dropped stream (the {@code retry:} field), in ms. */
    static final int RETRY_MILLIS = 1000;
    /** Longest {@code Last-Event-ID} read; the header cap ({@code security.maxHeaderBytes}) bounds it anyway. */
    private static final int MAX_ID_CHARS = 8192;

    private final SseContext context;
    private final int maxRooms;
    private final String deadlineStage;
    /** Where an interactive stream's commands come in; null for the read-only endpoint. */
    private final StreamCommands posted;

    /**
     * @param onClosed called once per stream when its channel closes (gives back its global connection slot)
     * @param deadlineStage the name of the HTTP deadline stage, removed from a stream (it would end it as idle)
     * @param interactive whether the streams take commands (HTTP streaming) or only read (SSE)
     */
    public SseEndpoint(SwitchboardConfig config, Hub hub, CommandHandler commands, SecurityCounters counters,
                       Runnable onClosed, String deadlineStage, boolean interactive) {
        this.context = new SseContext(hub, commands, OutboundLimit.of(config.websocket().maxQueuedBytes()), counters,
                onClosed, config.security().jwtClockSkew().toMillis());
        this.maxRooms = config.websocket().maxRoomsPerConnection();
        this.deadlineStage = deadlineStage;
        this.posted = interactive ? new StreamCommands(context, config.security(),
                config.websocket().maxMessageBytes(), config.cluster()) : null;
    }

    /** Where this endpoint's streams take commands, or null when they are read-only. */
    public StreamCommands commands() {
        return posted;
    }

    /** Opens the stream of an admitted request; its channel's close gives back the slot the admission took. */
    public void open(ChannelHandlerContext ctx, FullHttpRequest req, Grants grants) {
        ctx.channel().closeFuture().addListener(f -> context.onClosed().run());
        List<String> rooms = new ArrayList<>();
        String invalid = rooms(HttpRequests.queryParam(req, "rooms"), rooms);
        if (invalid != null) {
            refuse(ctx, invalid);
            return;
        }
        StreamPosition position = new StreamPosition(rooms);
        Set<String> lost = new HashSet<>();
        String lastEventId = req.headers().get("Last-Event-ID");
        if (lastEventId == null) {
            lastEventId = HttpRequests.queryParam(req, "lastEventId");
        }
        if (lastEventId != null) {
            // Asked to recover: a room the stream has no position in cannot say it recovered.
            if (lastEventId.length() > MAX_ID_CHARS || !position.restore(lastEventId)) {
                log.debug("stream from {}: Last-Event-ID not of these rooms, nothing recovered", ctx.channel().remoteAddress());
            }
            for (int i = 0; i < rooms.size(); i++) {
                if (position.since(i) == null) {
                    lost.add(rooms.get(i));
                }
            }
        }
        ChannelPipeline p = ctx.pipeline();
        if (p.get(deadlineStage) != null) {
            p.remove(deadlineStage); // a stream is idle between events; heartbeats and write-wait watch it
        }
        SseSession session = new SseSession(context, ctx.channel(), position, lost);
        p.addLast(STAGE, new SseHandler(context, session));
        ctx.writeAndFlush(head());
        ctx.channel().write(Unpooled.copiedBuffer("retry: " + RETRY_MILLIS + "\n\n", StandardCharsets.US_ASCII),
                ctx.channel().voidPromise());
        if (posted != null) {
            // Before the welcome: a client may send its first command as soon as it is welcomed.
            Map<String, Object> told = new LinkedHashMap<>();
            told.put("type", SESSION);
            told.put("session", posted.register(session));
            told.put("send", StreamCommands.PATH);
            session.sendText(context.hub().codec().encodeValue(told));
        }
        Hub hub = context.hub();
        Connection connection = hub.register(session, grants.userId(), hub.shard(ctx.channel().eventLoop()));
        session.registered(connection);
        connection.grants(grants);
        scheduleExpiry(ctx, session, grants);
        for (int i = 0; i < rooms.size() && !session.closing(); i++) {
            byte[] join = joinCommand(rooms.get(i), position.since(i));
            context.commands().handleText(connection, join, 0, join.length);
        }
        ctx.channel().flush();
    }

    /** Fills {@code out} from {@code ?rooms=a,b}; the reason it cannot, or null. */
    private String rooms(String param, List<String> out) {
        if (param == null || param.isEmpty()) {
            return null;
        }
        for (String room : param.split(",", -1)) {
            if (!Names.isValidRoom(room)) {
                return "invalid room in rooms: names match [A-Za-z0-9_.:@/-]{1,128}, separated by commas";
            }
            if (out.contains(room)) {
                return "room " + room + " is listed twice in rooms";
            }
            out.add(room);
        }
        return out.size() > maxRooms ? "more than " + maxRooms + " rooms (websocket.maxRoomsPerConnection)" : null;
    }

    private static void refuse(ChannelHandlerContext ctx, String reason) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST,
                Unpooled.copiedBuffer(reason + "\n", StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        HttpUtil.setContentLength(res, res.content().readableBytes());
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }

    /** The response head: an open-ended chunked body that no proxy should buffer or cache. */
    private static HttpResponse head() {
        HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream");
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        res.headers().set("X-Accel-Buffering", "no"); // nginx: pass events on as they come
        HttpUtil.setTransferEncodingChunked(res, true);
        return res;
    }

    /** The {@code join_room} a WebSocket client would send: the command handler checks grants and replays. */
    private byte[] joinCommand(String room, Command.Since since) {
        Map<String, Object> cmd = new LinkedHashMap<>();
        cmd.put("type", Command.JoinRoom.TYPE);
        cmd.put("room", room);
        if (since != null) {
            cmd.put("since", Map.of("offset", since.offset(), "epoch", since.epoch()));
        }
        return context.hub().codec().encodeValue(cmd);
    }

    /** A stream cannot refresh its token: it ends with 4001 at expiry (plus the clock skew), as a WebSocket would. */
    private void scheduleExpiry(ChannelHandlerContext ctx, SseSession session, Grants grants) {
        if (!grants.expires()) {
            return;
        }
        long delay = Math.max(0, grants.expiresAtMillis() + context.expiryGraceMillis()
                - context.hub().time().currentTimeMillis());
        ctx.executor().schedule(() -> {
            if (!session.closing() && ctx.channel().isActive()) {
                context.counters().tokenExpiredCloses.increment();
                context.hub().close(session.connection(), CloseCode.TOKEN_EXPIRED, "token expired",
                        DisconnectReason.TOKEN_EXPIRED);
            }
        }, delay, TimeUnit.MILLISECONDS);
    }
}
