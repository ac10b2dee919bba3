package io.switchboard.server.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetSocketAddress;
import java.util.List;

/** Reading complete HTTP requests: the path decoded once, query parameters, the peer's address. Stateless. */
public final class HttpRequests {
    private HttpRequests() {
    }

    /**
     * The request's path, percent-decoded once: handlers use it as it is and decode nothing again. Null when
     * the path or the query does not decode ({@code %zz}, bad UTF-8): the caller answers 400. The query is
     * decoded here too, so that {@link #queryParam} cannot fail later.
     */
    public static String decodedPath(FullHttpRequest req) {
        try {
            QueryStringDecoder decoder = new QueryStringDecoder(req.uri());
            decoder.parameters();
            return decoder.path();
        } catch (IllegalArgumentException malformed) {
            return null;
        }
    }

    /** Query parameter helper for admission checks, for requests {@link #decodedPath} accepted. */
    public static String queryParam(FullHttpRequest req, String name) {
        List<String> values = new QueryStringDecoder(req.uri()).parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** The peer's IP address, the key of every per-address limit. */
    public static String ip(Channel channel) {
        return channel.remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
                ? a.getAddress().getHostAddress() : String.valueOf(channel.remoteAddress());
    }
}
