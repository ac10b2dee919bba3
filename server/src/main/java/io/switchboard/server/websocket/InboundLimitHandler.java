package io.switchboard.server.websocket;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.switchboard.core.DisconnectReason;
import io.switchboard.core.config.Security;
import io.switchboard.core.config.WebSocket;
import io.switchboard.core.hub.Connection;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.limit.SecurityCounters;
import io.switchboard.core.limit.TokenBucket;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.ErrorCode;
import io.switchboard.protocol.ServerMessage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-connection inbound token bucket ({@code security.rateLimitRps}, {@code rateLimitBurst}), in
 * front of the WebSocket protocol handler so that control frames pay too. Every frame takes a token:
 * each frame of a message (continuations too, or empty ones would be free work), every ping and pong.
 * Without one:
 * <ul>
 *   <li>a frame of a text or binary message is dropped with the rest of its message and answered
 *       {@code rate_limited};</li>
 *   <li>a ping or pong is dropped unanswered.</li>
 * </ul>
 * A message in more than {@code websocket.maxFragmentsPerMessage} frames, or not complete within
 * {@code websocket.messageAssemblyTimeout} of its first, closes the connection with 1008.
 * {@code security.maxRateLimitViolations} refusals in a row close the connection with 4029. A ping
 * that arrives while the outbound buffer is above its high-water mark is dropped too (RFC 6455
 * section 5.5.3 lets a pong answer only the latest ping), so a client that floods pings and never
 * reads cannot grow the buffer. It also checks that admitted text messages are UTF-8 (see
 * {@link #validText}). Confined to the channel's event loop.
 */
final class InboundLimitHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(InboundLimitHandler.class);
    /** The close reason for a text message that is not UTF-8; Netty's validator sent the same. */
    static final String NOT_UTF8 = "bytes are not UTF-8";

    private final Hub hub;
    private final Peer peer;
    private final SecurityCounters counters;
    private final TokenBucket bucket;
    /** Shared by every connection, like the decoder settings: nothing per connection that need not be. */
    private final Security security;
    /** Refusals since the last admitted message. */
    private int violations;
    /** True while the continuation frames of a dropped message are still arriving. */
    private boolean droppingFragments;
    /** Set once this stage closed the connection: everything after is dropped silently. */
    private boolean closed;
    /** True while the continuation frames of an admitted text message are still arriving. */
    private boolean inText;
    /** The UTF-8 validation state of that message between its frames ({@link Utf8Validation}). */
    private int utf8 = Utf8Validation.ACCEPT;
    /** Frames so far of the fragmented message under way (admitted or dropped); 0 between messages. */
    private int fragments;
    /** Closes the connection when the message under way is not complete in time; null between messages. */
    private ScheduledFuture<?> assemblyDeadline;
    private final int maxFragments;
    private final long assemblyTimeoutNanos;

    /** The connection this stage guards. */
    interface Peer {
        /** The hub's connection once registered, else null. */
        Connection connection();

        /** Every inbound frame, before any limit applies: activity for the heartbeat timeout. */
        void frameArrived(WebSocketFrame frame);

        /** The rest of the fragmented message under way is dropped: forget the fragments kept so far. */
        void messageDropped();
    }

    InboundLimitHandler(Hub hub, Security s, WebSocket ws, Peer peer,
                        SecurityCounters counters) {
        this.maxFragments = ws.maxFragmentsPerMessage();
        this.assemblyTimeoutNanos = ws.messageAssemblyTimeout().toNanos();
        this.hub = hub;
        this.peer = peer;
        this.counters = counters;
        this.security = s;
        this.bucket = new TokenBucket(s.rateLimitRps(), s.rateLimitBurst(), hub.time().nanoTime());
    }

    private String limitText() {
        return "rate limit exceeded: " + security.rateLimitRps() + " messages per second, bursts of "
                + security.rateLimitBurst();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        peer.frameArrived(frame);
        if (closed) {
            if (frame instanceof CloseWebSocketFrame) {
                // The peer's answer to our close: the session closes the TCP connection on it at once
                // (RFC 6455 section 7.1.1: the server closes first) instead of at the end of the linger.
                ctx.fireChannelRead(frame);
                return;
            }
            frame.release();
            return;
        }
        if (frame.rsv() != 0) {
            // RFC 6455 section 5.2: a reserved bit no negotiated extension defines fails the connection. With
            // websocket.enableCompression the decoder lets RSV bits through for permessage-deflate, whose own
            // decoder (earlier in the pipeline) clears RSV1; anything still set here was never negotiated.
            frame.release();
            failProtocol(ctx, "reserved bits set without an extension");
            return;
        }
        if (frame instanceof CloseWebSocketFrame) {
            ctx.fireChannelRead(frame);
            return;
        }
        boolean control = frame instanceof PingWebSocketFrame
                || frame instanceof io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
        if (!control && !withinFragmentLimits(ctx, frame)) {
            frame.release();
            return;
        }
        boolean continuation = frame instanceof ContinuationWebSocketFrame;
        if (!bucket.tryTake(hub.time().nanoTime())) {
            if (!control) {
                droppingFragments = !frame.isFinalFragment();
                inText = false;
                if (continuation) {
                    peer.messageDropped();
                }
            }
            frame.release();
            refuse(control);
            return;
        }
        if (!control) {
            violations = 0;
        }
        if (continuation) {
            if (droppingFragments) {
                droppingFragments = !frame.isFinalFragment();
                frame.release();
            } else if (!inText || validText(ctx, frame)) {
                ctx.fireChannelRead(frame);
            }
            return;
        }
        if (frame instanceof PingWebSocketFrame && !ctx.channel().isWritable()) {
            counters.pingsDropped.increment();
            frame.release();
            return;
        }
        if (!(frame instanceof TextWebSocketFrame) || validText(ctx, frame)) {
            ctx.fireChannelRead(frame);
        }
    }

    /**
     * Counts the frames of a fragmented message and starts its assembly deadline at its first; false, with
     * the connection closing, once it has more than {@code websocket.maxFragmentsPerMessage}. Without these
     * bounds a message that never ends holds its fragments and costs a frame's work forever.
     */
    private boolean withinFragmentLimits(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame instanceof ContinuationWebSocketFrame) {
            if (++fragments > maxFragments) {
                hub.metrics().transportError("too_many_fragments");
                fail(ctx, CloseCode.POLICY_VIOLATION, "message in more than " + maxFragments + " fragments");
                return false;
            }
            if (frame.isFinalFragment()) {
                endMessage();
            }
        } else if (!frame.isFinalFragment()) {
            fragments = 1;
            assemblyDeadline = ctx.executor().schedule(() -> {
                assemblyDeadline = null;
                if (!closed) {
                    hub.metrics().transportError("message_assembly_timeout");
                    fail(ctx, CloseCode.POLICY_VIOLATION, "message not complete within "
                            + assemblyTimeoutNanos / 1_000_000 + " ms of its first fragment");
                }
            }, assemblyTimeoutNanos, TimeUnit.NANOSECONDS);
        }
        return true;
    }

    private void endMessage() {
        fragments = 0;
        if (assemblyDeadline != null) {
            assemblyDeadline.cancel(false);
            assemblyDeadline = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        endMessage();
        super.channelInactive(ctx);
    }

    /**
     * The inflater stops near {@code websocket.maxMessageBytes} (a decompression bomb) by throwing: answer
     * with 1009 (RFC 6455 section 7.4.1) instead of the bare close the exception would otherwise cause.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof io.netty.handler.codec.compression.DecompressionException) {
                Connection c = peer.connection();
                if (c != null && !closed) {
                    closed = true;
                    log.info("closing {} from {}: message inflates beyond websocket.maxMessageBytes", c,
                            c.session().remoteAddress());
                    hub.close(c, CloseCode.MESSAGE_TOO_BIG, "message too big", DisconnectReason.POLICY);
                } else {
                    ctx.close();
                }
                return;
            }
        }
        if (cause instanceof io.netty.handler.codec.CorruptedFrameException
                || cause instanceof io.netty.handler.codec.TooLongFrameException) {
            // The frame decoder already answered (1002, 1007 or 1009, websocket.maxFrameBytes) and closes.
            log.info("closing {}: {}", ctx.channel().remoteAddress(), cause.getMessage());
        }
        super.exceptionCaught(ctx, cause);
    }

    /**
     * Validates a frame of an admitted text message as it arrives (RFC 6455 section 8.1: fail the connection
     * with 1007 on bytes that are not UTF-8), carrying the state over to its continuation frames. This
     * stage does it, not a validator stage of Netty's: a stage less on every connection. False, with the
     * frame released and the connection closing, when the bytes are not UTF-8 or the message ends inside
     * a character.
     */
    private boolean validText(ChannelHandlerContext ctx, WebSocketFrame frame) {
        int state = Utf8Validation.scan(inText ? utf8 : Utf8Validation.ACCEPT, frame.content());
        boolean last = frame.isFinalFragment();
        if (state == Utf8Validation.REJECT || last && state != Utf8Validation.ACCEPT) {
            frame.release();
            inText = false;
            hub.metrics().transportError("invalid_utf8");
            fail(ctx, CloseCode.INVALID_PAYLOAD, NOT_UTF8);
            return false;
        }
        inText = !last;
        utf8 = state;
        return true;
    }

    private void failProtocol(ChannelHandlerContext ctx, String why) {
        fail(ctx, CloseCode.PROTOCOL_ERROR, why);
    }

    private void fail(ChannelHandlerContext ctx, CloseCode code, String why) {
        closed = true;
        endMessage();
        Connection c = peer.connection();
        if (c != null) {
            log.info("closing {} from {}: {}", c, c.session().remoteAddress(), why);
            hub.close(c, code, why, DisconnectReason.POLICY);
        } else {
            ctx.channel().writeAndFlush(new CloseWebSocketFrame(code.code(), why))
                    .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
        }
    }

    private void refuse(boolean control) {
        counters.messagesRateLimited.increment();
        Connection c = peer.connection();
        if (c == null) {
            return;
        }
        if (++violations >= security.maxRateLimitViolations()) {
            counters.rateLimitCloses.increment();
            log.info("closing {} from {}: {} messages refused by the rate limit in a row", c,
                    c.session().remoteAddress(), violations);
            closed = true;
            hub.close(c, CloseCode.RATE_LIMITED, "rate limit exceeded", DisconnectReason.RATE_LIMITED);
        } else if (!control && violations > 0) {
            if (violations == 1) {
                log.info("rate limiting {} from {}: {}", c, c.session().remoteAddress(), limitText());
            }
            hub.send(c, new ServerMessage.Error(null, ErrorCode.RATE_LIMITED, limitText()));
        }
    }
}
