package io.switchboard.server.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.util.ReferenceCountUtil;
import io.switchboard.core.auth.OriginPolicy;
import java.util.ArrayDeque;
import java.util.Set;

/**
 * Cross-origin access (the Fetch standard's CORS protocol) for the files and endpoints a page on another
 * site needs: the browser client ({@code /switchboard.js}), the transports and the upgrade check. The
 * origins are those of {@code security.allowedOrigins} plus the server's own ({@link OriginPolicy}), so one
 * setting governs connecting and reading alike. An allowed origin is echoed with
 * {@code Access-Control-Allow-Credentials: true} (cookies and tokens count as credentials; {@code *} would
 * forbid them). Preflights ({@code OPTIONS} with {@code Access-Control-Request-Method}) are answered here,
 * 204 for an allowed origin and 403 naming the setting otherwise.
 *
 * <p>Two exceptions, so that a page on an origin not (yet) allowed can load the client and be told why it
 * is refused: the client's files are public and the same for everyone, so other origins get {@code *}
 * (without credentials); the upgrade check answers every origin with credentials, and for an origin it
 * refuses says only that, before any credential is looked at.
 *
 * <p>A connection's responses leave in the order of its requests (HTTP/1.1), so the origin to answer each
 * with is kept in that order; the pipelining stage in front bounds how many are outstanding. One instance
 * per connection, confined to its event loop.
 */
public final class CorsHandler extends ChannelDuplexHandler {
    /** How long a browser may keep a preflight's answer (seconds): its own caps are 2 h (Chromium) and 24 h. */
    static final String PREFLIGHT_MAX_AGE = "600";

    private final OriginPolicy origins;
    private final Set<String> paths;
    private final Set<String> publicPaths;
    private final String anyOriginPath;
    /**
     * The origin to allow in each outstanding response, in request order; {@link #NONE} for a response
     * without CORS headers. Bounded by the pipelining stage (at most 64 requests wait). Event loop only.
     */
    private final ArrayDeque<String> pending = new ArrayDeque<>();
    private static final String NONE = "";

    /** {@code Access-Control-Allow-Origin} of a public file for an origin not allowed. */
    private static final String ANY = "*";

    /**
     * @param paths the paths that answer CORS for allowed origins
     * @param publicPaths the paths that answer allowed origins with credentials and every other with {@code *}
     * @param anyOriginPath the path that answers CORS with credentials for every origin (the upgrade check)
     */
    public CorsHandler(OriginPolicy origins, Set<String> paths, Set<String> publicPaths, String anyOriginPath) {
        this.origins = origins;
        this.paths = paths;
        this.publicPaths = publicPaths;
        this.anyOriginPath = anyOriginPath;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest req)) {
            ctx.fireChannelRead(msg);
            return;
        }
        String origin = req.headers().get(HttpHeaderNames.ORIGIN);
        String path = origin == null ? null : HttpRequests.decodedPath(req);
        boolean open = path != null && path.equals(anyOriginPath);
        boolean isPublic = path != null && publicPaths.contains(path);
        boolean covered = open || isPublic || path != null && paths.contains(path);
        boolean allowed = covered && (open || origins.allows(origin, req.headers().get(HttpHeaderNames.HOST)));
        if (covered && req.method().equals(HttpMethod.OPTIONS)
                && req.headers().contains(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD)) {
            preflight(ctx, req, origin, allowed);
            return;
        }
        pending.add(allowed ? origin : isPublic ? ANY : NONE);
        ctx.fireChannelRead(msg);
    }

    private void preflight(ChannelHandlerContext ctx, FullHttpRequest req, String origin, boolean allowed) {
        try {
            // Written from here, so below this stage: the answer carries its headers itself.
            if (!allowed) {
                HttpResponses.text(ctx, req, HttpResponseStatus.FORBIDDEN,
                        "origin " + origin + " is not allowed (add it to security.allowedOrigins)");
                return;
            }
            HttpResponses.preflight(ctx, req, origin, "GET, POST, OPTIONS", "Authorization, Content-Type, Last-Event-ID",
                    PREFLIGHT_MAX_AGE);
        } finally {
            ReferenceCountUtil.release(req);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        // 1xx answers (100-continue, 101) are not the final response of their request.
        if (msg instanceof HttpResponse res && (res.status().codeClass() != HttpStatusClass.INFORMATIONAL
                || res.status().code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code())) {
            String origin = pending.poll();
            if (origin != null && !origin.equals(NONE)) {
                HttpHeaders h = res.headers();
                h.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
                if (!origin.equals(ANY)) {
                    h.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
                }
                h.add(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
            }
        }
        ctx.write(msg, promise);
    }
}
