package io.switchboard.server.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * The admin console's files ({@code admin.enabled}): {@code GET /admin} is the page, {@code GET /admin/<name>}
 * its scripts and style, from {@code io/switchboard/server/web/admin/}. The page holds no credential of its
 * own: it signs in with an API key (or {@code admin.password}) and calls the backend API with it, so what it
 * may do is what the API allows. Thread-safe.
 */
public final class AdminConsole {
    /** The page's path; its files live below it. */
    public static final String PATH = "/admin";
    /**
     * Scripts and styles from this origin only, none inline (an injected {@code <script>} does not run), no
     * framing (no click-jacking of the disconnect button), calls to this origin only.
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final StaticFiles files = new StaticFiles("io/switchboard/server/web/admin/");

    /** Whether {@code path} is the console's. */
    boolean serves(String path) {
        return path.equals(PATH) || path.equals(PATH + "/") || path.startsWith(PATH + "/");
    }

    /** Answers a GET of one of the console's paths: its file, or 404. */
    void serve(ChannelHandlerContext ctx, FullHttpRequest req, String path) {
        String name = path.length() <= PATH.length() + 1 ? "admin.html" : path.substring(PATH.length() + 1);
        byte[] body = files.bytes(name);
        if (body == null) {
            HttpResponses.text(ctx, req, HttpResponseStatus.NOT_FOUND, "not found");
            return;
        }
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(body));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, StaticFiles.type(name))
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .set(HttpHeaderNames.CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY)
                .set(HttpHeaderNames.X_FRAME_OPTIONS, "DENY")
                .set("X-Content-Type-Options", "nosniff")
                .set("Referrer-Policy", "no-referrer");
        HttpUtil.setContentLength(res, body.length);
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpUtil.setKeepAlive(res, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(res, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
