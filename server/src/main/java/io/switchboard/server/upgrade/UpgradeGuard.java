package io.switchboard.server.upgrade;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.switchboard.core.TimeSource;
import io.switchboard.core.auth.Grants;
import io.switchboard.core.auth.OriginPolicy;
import io.switchboard.core.auth.RoomPatterns;
import io.switchboard.core.auth.TokenException;
import io.switchboard.core.auth.TokenVerifier;
import io.switchboard.core.config.Security;
import io.switchboard.core.limit.ConnectionLimits;
import io.switchboard.core.limit.SecurityCounters;
import io.switchboard.protocol.Names;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.server.proxy.ConnectProxy;
import io.switchboard.server.http.HttpRequests;
import io.switchboard.server.http.HttpRouter;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The door of the WebSocket endpoint: decides, before the upgrade, whether a request may become a
 * connection and with which {@link Grants}. The checks run cheapest and most abusable first:
 * <ol>
 *   <li>draining → 503;</li>
 *   <li>handshakes per IP per second → 429 (so the rest, token verification included, is bounded per IP);</li>
 *   <li>{@link OriginPolicy} → 403;</li>
 *   <li>credential (with {@code security.requireAuth}): bearer header, {@code ?token=}, or cookie → 401;
 *       without auth, {@code ?id=} names the user → 400 when malformed;</li>
 *   <li>global cap → 503, connections per IP and per user → 429.</li>
 * </ol>
 * Every refusal is logged at info with the remote address and counted in {@link SecurityCounters}.
 * Slots taken here are given back when the channel closes. Thread-safe.
 */
public final class UpgradeGuard {
    private final SwitchboardConfig config;
    private final OriginPolicy origins;
    private final TokenVerifier tokens;
    private final RoomPatterns staticRooms;
    private final ConnectionLimits limits;
    private final AtomicInteger webSockets;
    private final BooleanSupplier draining;
    private final SecurityCounters counters;
    /** Decides who connects when {@code proxy.connect} is set (instead of a token); null otherwise. */
    private final ConnectProxy connectProxy;

    /**
     * @param tokens the verifier, null when {@code security.requireAuth} is off
     * @param webSockets the global count of admitted WebSockets, decremented by the session on close
     */
    public UpgradeGuard(SwitchboardConfig config, TokenVerifier tokens, AtomicInteger webSockets, BooleanSupplier draining,
                 SecurityCounters counters, TimeSource time) {
        this(config, tokens, webSockets, draining, counters, time, null);
    }

    /** @param connectProxy asks the backend who connects, instead of the token; null: off */
    public UpgradeGuard(SwitchboardConfig config, TokenVerifier tokens, AtomicInteger webSockets, BooleanSupplier draining,
                        SecurityCounters counters, TimeSource time, ConnectProxy connectProxy) {
        this.connectProxy = connectProxy;
        Security s = config.security();
        this.config = config;
        this.origins = new OriginPolicy(s.allowedOrigins(), s.enableTls(), s.requireAuth());
        this.tokens = tokens;
        this.staticRooms = RoomPatterns.of(s.allowedRooms());
        this.limits = new ConnectionLimits(s.maxConnectionsPerIp(), s.maxConnectionsPerUser(),
                s.maxHandshakesPerIpPerSecond(), time);
        this.webSockets = webSockets;
        this.draining = draining;
        this.counters = counters;
    }

    ConnectionLimits limits() {
        return limits;
    }

    /** Decides one upgrade request. The router logs refusals with the remote address. */
    public HttpRouter.Admission admit(Channel channel, FullHttpRequest req) {
        return decide(channel, req, true);
    }

    /**
     * What {@link #admit} would answer for a connection with this request's origin and credentials, taking
     * no slot: how a browser, which cannot read the body of a refused upgrade, learns why it was refused. It
     * costs a handshake of the address like an upgrade, so it is no cheaper way to test tokens.
     */
    public HttpRouter.Admission check(Channel channel, FullHttpRequest req) {
        return decide(channel, req, false);
    }

    /** The origin policy, shared with the CORS stage so that both answer alike. */
    public OriginPolicy origins() {
        return origins;
    }

    private HttpRouter.Admission decide(Channel channel, FullHttpRequest req, boolean reserve) {
        if (draining.getAsBoolean()) {
            return HttpRouter.Admission.refuse(HttpResponseStatus.SERVICE_UNAVAILABLE, "server is draining", "draining");
        }
        String ip = HttpRequests.ip(channel);
        if (!limits.tryHandshake(ip)) {
            counters.handshakeRateRejected.increment();
            return HttpRouter.Admission.refuse(HttpResponseStatus.TOO_MANY_REQUESTS,
                    "too many handshakes from your address (security.maxHandshakesPerIpPerSecond)");
        }
        String bearer = bearer(req);
        String originRefusal = origins.refusal(req.headers().get(HttpHeaderNames.ORIGIN),
                req.headers().get(HttpHeaderNames.HOST), bearer != null);
        if (originRefusal != null) {
            counters.originRejected.increment();
            return HttpRouter.Admission.refuse(HttpResponseStatus.FORBIDDEN, originRefusal);
        }
        if (connectProxy != null) {
            String token = bearer != null ? bearer : HttpRequests.queryParam(req, "token");
            // On the channel's loop: the slots are taken in the task that installs the WebSocket stages, so a
            // channel that closes meanwhile never holds a slot no session will give back.
            return HttpRouter.Admission.later(connectProxy.decide(req, ip, token).thenApplyAsync(v -> {
                if (!channel.isActive()) {
                    return HttpRouter.Admission.refuse(HttpResponseStatus.SERVICE_UNAVAILABLE, "connection closed",
                            "other");
                }
                if (v.grants() != null) {
                    return reserve(channel, ip, v.grants());
                }
                if (v.status() == 403) {
                    counters.authRejected.increment();
                    return HttpRouter.Admission.refuse(HttpResponseStatus.FORBIDDEN, v.reason(), "auth");
                }
                return HttpRouter.Admission.refuse(HttpResponseStatus.SERVICE_UNAVAILABLE, v.reason(), "other");
            }, channel.eventLoop()));
        }
        Grants grants;
        if (tokens != null) {
            try {
                grants = tokens.verify(credential(req, bearer));
            } catch (TokenException e) {
                counters.authRejected.increment();
                return HttpRouter.Admission.refuse(HttpResponseStatus.UNAUTHORIZED, "invalid token: " + e.getMessage());
            }
        } else {
            String id = HttpRequests.queryParam(req, "id");
            if (id != null && !Names.isValidUserId(id)) {
                return HttpRouter.Admission.refuse(HttpResponseStatus.BAD_REQUEST,
                        "id must match [A-Za-z0-9_.:@-]{1,64}");
            }
            grants = Grants.withoutToken(id != null ? id : "anon-" + Long.toString(
                    ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36), staticRooms,
                    config.security().clientBroadcast(), true);
        }
        if (!reserve) {
            return wouldReserve(ip, grants);
        }
        return reserve(channel, ip, grants);
    }

    /** The answer of {@link #reserve} without keeping a slot. */
    private HttpRouter.Admission wouldReserve(String ip, Grants grants) {
        if (webSockets.get() >= config.websocket().maxConnections()) {
            return HttpRouter.Admission.refuse(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "server is full (websocket.maxConnections)");
        }
        ConnectionLimits.Refusal refusal = limits.tryAcquire(ip, grants.userId());
        if (refusal == null) {
            limits.release(ip, grants.userId());
            return HttpRouter.Admission.accept(grants);
        }
        return HttpRouter.Admission.refuse(HttpResponseStatus.TOO_MANY_REQUESTS, refusal == ConnectionLimits.Refusal.PER_IP
                ? "too many connections from your address (security.maxConnectionsPerIp)"
                : "too many connections for this user (security.maxConnectionsPerUser)");
    }

    /** Takes a global, a per-IP and a per-user slot, all or none; the channel's close gives them back. */
    private HttpRouter.Admission reserve(Channel channel, String ip, Grants grants) {
        if (webSockets.incrementAndGet() > config.websocket().maxConnections()) {
            webSockets.decrementAndGet();
            counters.globalCapRejected.increment();
            return HttpRouter.Admission.refuse(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "server is full (websocket.maxConnections)");
        }
        ConnectionLimits.Refusal refusal = limits.tryAcquire(ip, grants.userId());
        if (refusal != null) {
            webSockets.decrementAndGet();
            if (refusal == ConnectionLimits.Refusal.PER_IP) {
                counters.perIpRejected.increment();
                return HttpRouter.Admission.refuse(HttpResponseStatus.TOO_MANY_REQUESTS,
                        "too many connections from your address (security.maxConnectionsPerIp)");
            }
            counters.perUserRejected.increment();
            return HttpRouter.Admission.refuse(HttpResponseStatus.TOO_MANY_REQUESTS,
                    "too many connections for this user (security.maxConnectionsPerUser)");
        }
        // The address again at close (the channel keeps it), rather than this string kept per connection.
        String userId = grants.userId();
        ChannelFutureListener release = f -> limits.release(HttpRequests.ip(f.channel()), userId);
        channel.closeFuture().addListener(release);
        return HttpRouter.Admission.accept(grants);
    }

    /** The token of {@code Authorization: Bearer}, or null. */
    private static String bearer(FullHttpRequest req) {
        String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return auth.substring(7).trim();
        }
        return null;
    }

    /** Bearer header first, then {@code ?token=}, then the configured cookie. */
    private String credential(FullHttpRequest req, String bearer) {
        if (bearer != null) {
            return bearer;
        }
        String query = HttpRequests.queryParam(req, "token");
        if (query != null) {
            return query;
        }
        String cookieHeader = req.headers().get(HttpHeaderNames.COOKIE);
        if (cookieHeader != null && cookieHeader.length() <= config.security().maxHeaderBytes()) {
            List<Cookie> cookies = ServerCookieDecoder.STRICT.decodeAll(cookieHeader);
            for (Cookie c : cookies) {
                if (c.name().equals(config.security().tokenCookie())) {
                    return c.value();
                }
            }
        }
        return null;
    }
}
