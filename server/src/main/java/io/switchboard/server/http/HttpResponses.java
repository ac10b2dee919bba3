package io.switchboard.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.RejectedExecutionException;

/** Writing complete HTTP responses with keep-alive handled. */
final class HttpResponses {
    static final String JSON = "application/json";
    private HttpResponses() {
    }

    static void json(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, byte[] body) {
        json(ctx, HttpUtil.isKeepAlive(req), status, body);
    }

    static void json(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, byte[] body) {
        send(ctx, keepAlive, status, JSON, Unpooled.wrappedBuffer(body));
    }

    static void text(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, String body) {
        text(ctx, HttpUtil.isKeepAlive(req), status, body);
    }

    static void text(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, String body) {
        send(ctx, keepAlive, status, "text/plain; charset=utf-8",
                Unpooled.copiedBuffer(body + "\n", StandardCharsets.UTF_8));
    }

    /**
     * Runs {@code answer} on the connection's event loop, for a request answered after its handler returned.
     * Such an answer needs only the request's keep-alive flag (the {@code boolean} overloads), so the request
     * itself is not retained. Once the loop has stopped, the connection is gone with it and nothing runs.
     */
    static void later(ChannelHandlerContext ctx, Runnable answer) {
        try {
            ctx.executor().execute(answer);
        } catch (RejectedExecutionException stopped) {
            // nobody is left to answer
        }
    }

    /** Answers and closes: for refused upgrades, whose clients expect no further exchange. */
    static void textAndClose(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
        textAndClose(ctx, status, body, null, null);
    }

    /** Answers with one extra header ({@code header} null for none) and closes. */
    static void textAndClose(ChannelHandlerContext ctx, HttpResponseStatus status, String body, CharSequence header,
                             String value) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body + "\n", StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        if (header != null) {
            res.headers().set(header, value);
        }
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        HttpUtil.setContentLength(res, res.content().readableBytes());
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }

    /** 204 to a CORS preflight: the methods and request headers allowed, and how long the answer holds. */
    static void preflight(ChannelHandlerContext ctx, FullHttpRequest req, String origin, String methods,
                          String headers, String maxAgeSeconds) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT,
                Unpooled.EMPTY_BUFFER);
        res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
        res.headers().set(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
        res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, methods);
        res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, headers);
        res.headers().set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, maxAgeSeconds);
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpUtil.setKeepAlive(res, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(res, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

    static void send(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, String contentType,
                     ByteBuf body) {
        send(ctx, HttpUtil.isKeepAlive(req), status, contentType, body);
    }

    static void send(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, String contentType,
                     ByteBuf body) {
        send(ctx, keepAlive, status, contentType, body, null, null);
    }

    /** Sends with one extra header ({@code header} null for none). */
    static void send(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, String contentType,
                     ByteBuf body, CharSequence header, String value) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        if (header != null) {
            res.headers().set(header, value);
        }
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        HttpUtil.setContentLength(res, body.readableBytes());
        HttpUtil.setKeepAlive(res, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(res, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
