package io.switchboard.server.websocket;

import io.netty.channel.Channel;
import io.netty.handler.codec.compression.ZlibCodecFactory;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionDecoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtension;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandshaker;
import io.netty.handler.codec.http.websocketx.extensions.compression.DeflateFrameServerExtensionHandshaker;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import io.netty.util.AttributeKey;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which permessage-deflate offers (RFC 7692) a connection accepts. Netty's handshaker does the negotiation;
 * this stage in front of it declines what Netty cannot honour or would fail on:
 *
 * <ul>
 *   <li>{@code server_no_context_takeover}: answered always, offered or not (section 7.1.1.1 allows that);
 *       the server compresses each message with a fresh context. That is what lets one compressed copy of a
 *       fan-out frame go to every member that negotiated compression ({@link PreEncodedFrame#compressed}),
 *       instead of one compression per recipient.</li>
 *   <li>{@code client_no_context_takeover}: accepted and answered (section 7.1.1.2), so the server's
 *       inflater keeps no window between messages either.</li>
 *   <li>{@code client_max_window_bits}, with or without a value 8–15: accepted; Netty answers a value with
 *       the same value (section 7.1.2.2) and omits the parameter otherwise. The JDK inflater reads any
 *       window up to 15 bits.</li>
 *   <li>{@code server_max_window_bits} 8–15, answered with the same value: 15 always; below 15 only when JZlib is on the class path,
 *       because the JDK deflater has a fixed 15-bit window and Netty builds its JZlib encoder for any other
 *       size. Without JZlib such an offer is declined (section 7.1.2.1 allows that), and the client may
 *       fall back to its next offer.</li>
 *   <li>a malformed value (section 7.1.2: "a decimal integer value without leading zeroes between 8 and
 *       15") or an unknown parameter: the offer is declined.</li>
 * </ul>
 *
 * <p>The inflater stops at {@code inflaterCap}, so a small compressed frame cannot expand without bound.
 * One per connection, for its handshake: a negotiated extension marks the channel ({@link #NEGOTIATED}).
 */
final class DeflateOffers implements WebSocketServerExtensionHandshaker {
    static final String EXTENSION = "permessage-deflate";
    static final String SERVER_MAX_WINDOW = "server_max_window_bits";
    static final String CLIENT_MAX_WINDOW = "client_max_window_bits";
    static final String SERVER_NO_CONTEXT = "server_no_context_takeover";
    /** Set on a channel whose handshake negotiated permessage-deflate. */
    static final AttributeKey<Boolean> NEGOTIATED = AttributeKey.valueOf(DeflateOffers.class, "negotiated");
    static final int COMPRESSION_LEVEL = 6;
    private static final int MAX_WINDOW_BITS = 15;
    private static final int MIN_WINDOW_BITS = 8;
    private static final int MEM_LEVEL = 8;

    private final PerMessageDeflateServerExtensionHandshaker netty;
    private final boolean smallWindows;
    private final Channel channel;

    DeflateOffers(Channel channel, int inflaterCap, boolean smallWindows) {
        this.channel = channel;
        this.smallWindows = smallWindows;
        this.netty = new PerMessageDeflateServerExtensionHandshaker(COMPRESSION_LEVEL,
                true, // allowServerWindowSize: checked here first
                MAX_WINDOW_BITS, // preferredClientWindowSize: Netty answers an offered value as offered
                true, // allowServerNoContext
                true, // preferredClientNoContext: answered when offered
                MAX_WINDOW_BITS, MEM_LEVEL, inflaterCap);
    }

    /** The extension stage: permessage-deflate as above, and Netty's x-webkit-deflate-frame. */
    static WebSocketServerExtensionHandler handler(Channel channel, int inflaterCap) {
        return new WebSocketServerExtensionHandler(
                new DeflateOffers(channel, inflaterCap, ZlibCodecFactory.isSupportingWindowSizeAndMemLevel()),
                new DeflateFrameServerExtensionHandshaker(COMPRESSION_LEVEL, inflaterCap));
    }

    @Override
    public WebSocketServerExtension handshakeExtension(WebSocketExtensionData offer) {
        if (!EXTENSION.equals(offer.name())) {
            return null;
        }
        String server = offer.parameters().get(SERVER_MAX_WINDOW);
        if (offer.parameters().containsKey(SERVER_MAX_WINDOW)) { // which needs a value (section 7.1.2.1)
            int bits = windowBits(server);
            if (bits < 0 || (bits != MAX_WINDOW_BITS && !smallWindows)) {
                return null;
            }
        }
        String client = offer.parameters().get(CLIENT_MAX_WINDOW);
        if (client != null && windowBits(client) < 0) {
            return null;
        }
        Map<String, String> parameters = new LinkedHashMap<>(offer.parameters());
        parameters.putIfAbsent(SERVER_NO_CONTEXT, null);
        WebSocketServerExtension accepted = netty.handshakeExtension(new WebSocketExtensionData(offer.name(), parameters));
        // Section 7.1.2.1: accepting server_max_window_bits means answering it. Netty leaves out the default 15.
        return accepted == null ? null : new Negotiated(accepted, server == null ? 0 : windowBits(server), channel);
    }

    /**
     * Netty's extension, with {@code server_max_window_bits} always in the response when offered ({@code bits}
     * above 0), marking the channel once it is in use.
     */
    private record Negotiated(WebSocketServerExtension accepted, int bits, Channel channel)
            implements WebSocketServerExtension {
        @Override
        public WebSocketExtensionData newReponseData() {
            WebSocketExtensionData data = accepted.newReponseData();
            if (bits == 0 || data.parameters().containsKey(SERVER_MAX_WINDOW)) {
                return data;
            }
            Map<String, String> parameters = new LinkedHashMap<>(data.parameters());
            parameters.put(SERVER_MAX_WINDOW, Integer.toString(bits));
            return new WebSocketExtensionData(data.name(), parameters);
        }

        @Override
        public int rsv() {
            return accepted.rsv();
        }

        @Override
        public WebSocketExtensionEncoder newExtensionEncoder() {
            // Asked for only once the extension is chosen for the connection.
            channel.attr(NEGOTIATED).set(Boolean.TRUE);
            return accepted.newExtensionEncoder();
        }

        @Override
        public WebSocketExtensionDecoder newExtensionDecoder() {
            return accepted.newExtensionDecoder();
        }
    }

    /** The value of a window-bits parameter, or -1 when it is missing or not "8" … "15". */
    static int windowBits(String value) {
        if (value == null) {
            return -1;
        }
        String v = value.trim();
        if (v.length() < 1 || v.length() > 2 || v.charAt(0) == '0') {
            return -1;
        }
        for (int i = 0; i < v.length(); i++) {
            if (v.charAt(i) < '0' || v.charAt(i) > '9') {
                return -1;
            }
        }
        int bits = Integer.parseInt(v);
        return bits >= MIN_WINDOW_BITS && bits <= MAX_WINDOW_BITS ? bits : -1;
    }
}
