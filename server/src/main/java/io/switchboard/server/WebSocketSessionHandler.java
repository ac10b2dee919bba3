package io.switchboard.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.switchboard.core.DisconnectReason;
import io.switchboard.core.HubException;
import io.switchboard.core.auth.Grants;
import io.switchboard.core.command.CommandHandler;
import io.switchboard.core.hub.Connection;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.hub.Shard;
import io.switchboard.core.limit.SecurityCounters;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.core.transport.OutboundFrame;
import io.switchboard.core.transport.Session;
import io.switchboard.protocol.BinaryOp;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.ErrorCode;
import io.switchboard.protocol.Names;
import io.switchboard.protocol.ServerMessage;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket connection after the upgrade: feeds its frames to the hub and is the hub's
 * {@link Session} for it. Confined to the channel's event loop, except the methods {@link Session}
 * marks thread-safe.
 */
final class WebSocketSessionHandler extends OutboundQueueHandler implements Session, InboundLimitHandler.Peer {
    private static final Logger log = LoggerFactory.getLogger(WebSocketSessionHandler.class);
    /** How long a closing connection may take to drain its close frame before the socket is cut. */
    static final long CLOSE_LINGER_MILLIS = 2000;
    /**
     * While direct memory is above {@link DirectMemory#HIGH_WATER}, a connection that already has more
     * than this queued (or its own cap, if smaller) when another frame comes is closed as a slow consumer;
     * one that keeps up queues less.
     */
    static final int PRESSURE_QUEUED_BYTES = 64 * 1024;
    /** Where {@code WebSocketServerProtocolHandler} keeps the handshaker; see {@link #forgetHandshaker}. */
    private static final AttributeKey<WebSocketServerHandshaker> HANDSHAKER =
            AttributeKey.valueOf(WebSocketServerHandshaker.class, "HANDSHAKER");

    private final Hub hub;
    private final CommandHandler commands;
    private final Grants grants;
    private final int maxQueuedBytes;
    /** Queued bytes above which a connection is closed while direct memory is above its high-water mark. */
    private final int pressureQueuedBytes;
    private final Runnable onClosed;
    /** Grace after a token's {@code exp} before close 4001, the same skew the handshake tolerates. */
    private final long expiryGraceMillis;
    private final SecurityCounters counters;
    private Connection connection;
    /** Set once a close frame was queued; nothing else is written after it. Event loop only. */
    private boolean closing;
    /** Set once the peer sent a close frame: a reset after it still counts as a client close. Event loop only. */
    private boolean peerSentClose;

    WebSocketSessionHandler(Hub hub, CommandHandler commands, Grants grants, int maxQueuedBytes, int maxMessageBytes,
                            Runnable onClosed, long expiryGraceMillis, SecurityCounters counters) {
        super(maxMessageBytes);
        this.hub = hub;
        this.commands = commands;
        this.grants = grants;
        this.maxQueuedBytes = maxQueuedBytes;
        this.pressureQueuedBytes = Math.min(maxQueuedBytes, PRESSURE_QUEUED_BYTES);
        this.onClosed = onClosed;
        this.expiryGraceMillis = expiryGraceMillis;
        this.counters = counters;
    }

    @Override
    public Connection connection() {
        return connection;
    }

    /** The channel once the handshake completed, else null. */
    Channel channel() {
        return channel;
    }

    /**
     * Records every inbound frame, pings included, as activity for the heartbeat timeout; called by the
     * {@link InboundLimitHandler} in front of the protocol handler, which answers and swallows pings.
     */
    @Override
    public void frameArrived(WebSocketFrame frame) {
        if (connection != null) {
            connection.touch(hub.time().nanoTime());
            peerSentClose |= frame instanceof CloseWebSocketFrame;
        }
    }

    @Override
    public void messageDropped() {
        releaseFragments();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            channel = ctx.channel();
            frameOut = ctx.pipeline().context("wsencoder");
            ctx.pipeline().remove(HttpDeadlineHandler.class);
            ctx.pipeline().remove(HttpRouter.class);
            // After the handshake the protocol handler only answers pings, which this stage does, so it
            // goes too: one pipeline stage less per connection.
            ctx.pipeline().remove(WebSocketServerProtocolHandler.class);
            forgetHandshaker(ctx.channel());
            Shard shard = hub.shard(ctx.channel().eventLoop());
            connection = hub.register(this, grants.userId(), shard);
            connection.grants(grants);
            scheduleExpiryCheck(ctx);
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    /**
     * Netty keeps the handshaker in a channel attribute for the protocol handler's close handling; with
     * that handler gone nothing reads it, and the attribute, its entry and the handshaker are 80 bytes
     * per connection. The key is the one {@code WebSocketServerProtocolHandler} declares (by class and
     * name); should Netty rename it, this removes nothing. {@code remove} is deprecated only because a
     * removed attribute may be set again concurrently, which cannot happen here, on the event loop.
     */
    @SuppressWarnings("deprecation")
    private static void forgetHandshaker(Channel channel) {
        if (channel.hasAttr(HANDSHAKER)) {
            channel.attr(HANDSHAKER).remove();
        }
    }

    /**
     * Closes with 4001 once the token expired (plus the clock skew), unless a {@code refresh} replaced the
     * grants with later ones meanwhile: then checks again at the new expiry.
     */
    private void scheduleExpiryCheck(ChannelHandlerContext ctx) {
        Grants current = connection.grants();
        if (!current.expires() || closing) {
            return;
        }
        long delay = Math.max(0, current.expiresAtMillis() + expiryGraceMillis - hub.time().currentTimeMillis());
        ctx.executor().schedule(() -> {
            if (connection.grants().expiresAtMillis() != current.expiresAtMillis()) {
                scheduleExpiryCheck(ctx);
            } else if (!closing && channel.isActive()) {
                counters.tokenExpiredCloses.increment();
                hub.close(connection, CloseCode.TOKEN_EXPIRED, "token expired", DisconnectReason.TOKEN_EXPIRED);
            }
        }, delay, TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (frame instanceof CloseWebSocketFrame close) {
                onClose(ctx, close);
                return;
            }
            if (connection == null || closing) {
                return;
            }
            if (frame instanceof PingWebSocketFrame) {
                // RFC 6455 section 5.5.2: a pong with the ping's payload, behind what is already queued.
                send(new PongWebSocketFrame(frame.content().retain()));
            } else if (frame instanceof PongWebSocketFrame) {
                return; // only activity (InboundLimitHandler told us of it)
            } else {
                dataFrame(ctx, frame); // text, binary or a continuation: the decoder passes nothing else
            }
        } catch (RuntimeException e) {
            // Never let a bad message escape to the event loop: answer and keep the connection.
            log.error("frame from {} failed", connection, e);
            hub.send(connection, new ServerMessage.Error(null, ErrorCode.INTERNAL, "internal error"));
        } finally {
            ReferenceCountUtil.release(frame);
        }
    }

    /**
     * RFC 6455 section 5.5.1: answer a peer's close with one close frame, unless ours already went out, in
     * which case the closing handshake is complete and only the TCP connection remains to be closed.
     */
    private void onClose(ChannelHandlerContext ctx, CloseWebSocketFrame close) {
        if (closing) {
            ctx.channel().close();
            return;
        }
        closing = true;
        int status = close.statusCode();
        CloseWebSocketFrame reply = status < 0 ? new CloseWebSocketFrame() : new CloseWebSocketFrame(status, "");
        // A peer that closes while its queue is backed up no longer reads it: the reply goes out at once.
        dropQueued();
        ctx.channel().writeAndFlush(reply).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
    }

    @Override
    void onMessage(ChannelHandlerContext ctx, boolean text, ByteBuf content) {
        if (text) {
            onText(content);
        } else {
            onBinary(ctx, content);
        }
    }

    @Override
    void messageTooBig() {
        hub.metrics().transportError("message_too_big");
        log.info("closing {}: message larger than websocket.maxMessageBytes", remoteAddress());
        closeForViolation(CloseCode.MESSAGE_TOO_BIG, "message too big");
    }

    private void onText(ByteBuf content) {
        if (content.hasArray()) {
            commands.handleText(connection, content.array(), content.arrayOffset() + content.readerIndex(),
                    content.readableBytes());
        } else {
            byte[] bytes = ByteBufUtil.getBytes(content);
            commands.handleText(connection, bytes, 0, bytes.length);
        }
    }

    /** PROTOCOL.md section 7: echo {@code 0x01}, control {@code 0x02}, room publish {@code 0x10}; else 1003. */
    private void onBinary(ChannelHandlerContext ctx, ByteBuf in) {
        long start = hub.time().nanoTime();
        hub.stats().received();
        hub.metrics().messageReceived(HubMetrics.FrameType.BINARY, in.readableBytes());
        onBinaryOp(ctx, in);
        hub.metrics().commandProcessed(connection.connId(), this, "binary", start, hub.time().nanoTime(), null);
    }

    private void onBinaryOp(ChannelHandlerContext ctx, ByteBuf in) {
        if (!in.isReadable()) {
            hub.metrics().transportError("bad_binary");
            closeForViolation(CloseCode.UNSUPPORTED_DATA, "empty binary frame");
            return;
        }
        byte op = in.getByte(in.readerIndex());
        switch (op) {
            case BinaryOp.ECHO -> {
                ByteBuf payload = lengthPrefixedPayload(in);
                if (payload == null) {
                    return;
                }
                ByteBuf reply = ctx.alloc().buffer(BinaryOp.LENGTH_PREFIXED_HEADER + payload.readableBytes());
                reply.writeByte(BinaryOp.ECHO_REPLY).writeMedium(payload.readableBytes()).writeBytes(payload);
                sendBinary(reply);
            }
            case BinaryOp.CONTROL -> {
                if (lengthPrefixedPayload(in) == null) {
                    return;
                }
                sendBinary(ctx.alloc().buffer(1).writeByte(BinaryOp.CONTROL_ACK));
            }
            case BinaryOp.ROOM_PUBLISH -> relay(ctx, in);
            default -> {
                hub.metrics().transportError("bad_binary");
                closeForViolation(CloseCode.UNSUPPORTED_DATA, "unknown binary op");
            }
        }
    }

    /** The payload of an op + 3-byte length frame, or null after closing with 1003 when the length lies. */
    private ByteBuf lengthPrefixedPayload(ByteBuf in) {
        if (in.readableBytes() < BinaryOp.LENGTH_PREFIXED_HEADER) {
            hub.metrics().transportError("bad_binary");
            closeForViolation(CloseCode.UNSUPPORTED_DATA, "binary frame too short");
            return null;
        }
        int length = in.getUnsignedMedium(in.readerIndex() + 1);
        if (length != in.readableBytes() - BinaryOp.LENGTH_PREFIXED_HEADER) {
            hub.metrics().transportError("bad_binary");
            closeForViolation(CloseCode.UNSUPPORTED_DATA, "binary length does not match the frame");
            return null;
        }
        return in.slice(in.readerIndex() + BinaryOp.LENGTH_PREFIXED_HEADER, length);
    }

    private void relay(ChannelHandlerContext ctx, ByteBuf in) {
        int start = in.readerIndex();
        if (in.readableBytes() < 2) {
            closeForViolation(CloseCode.UNSUPPORTED_DATA, "binary frame too short");
            return;
        }
        int nameLength = in.getUnsignedByte(start + 1);
        if (nameLength == 0 || in.readableBytes() < 2 + nameLength) {
            closeForViolation(CloseCode.UNSUPPORTED_DATA, "binary room name length does not match the frame");
            return;
        }
        String room = in.toString(start + 2, nameLength, StandardCharsets.UTF_8);
        if (!Names.isValidRoom(room)) {
            hub.send(connection, new ServerMessage.Error(null, ErrorCode.INVALID_FIELD,
                    "room must match [A-Za-z0-9_.:@/-]{1,128}"));
            return;
        }
        try {
            CommandHandler.mayPublish(connection, room);
        } catch (HubException e) {
            hub.send(connection, new ServerMessage.Error(null, e.code(), e.getMessage()));
            return;
        }
        PreEncodedFrame frame = PreEncodedFrame.binary(ctx.alloc(), in);
        try {
            hub.relay(connection, room, frame);
        } catch (HubException e) {
            hub.send(connection, new ServerMessage.Error(null, e.code(), e.getMessage()));
        } finally {
            frame.release();
        }
    }

    /**
     * Closes for a peer's protocol violation and takes the connection out of its rooms at once, not
     * when the peer answers the close (or the linger cuts it).
     */
    void closeForViolation(CloseCode code, String reason) {
        if (connection != null) {
            hub.close(connection, code, reason, DisconnectReason.POLICY);
        } else {
            close(code, reason);
        }
    }

    private void sendBinary(ByteBuf payload) {
        int size = payload.readableBytes();
        if (send(new BinaryWebSocketFrame(payload))) {
            hub.metrics().messagesSent(HubMetrics.FrameType.BINARY, 1, size);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable() && holding()) {
            drain();
            ctx.channel().flush();
        }
        if (connection != null) {
            // Backlogged while anything waits: in the channel above its high-water mark, or held here.
            if (!ctx.channel().isWritable()) {
                connection.backlogged(Math.max(1, hub.time().nanoTime()));
            } else if (!holding()) {
                connection.backlogged(0);
            }
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        dropQueued();
        if (connection != null) {
            hub.disconnect(connection, DisconnectReason.CLIENT_CLOSE);
        }
        onClosed.run();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("connection {} failed: {}", connection, cause.toString());
        if (!peerSentClose) {
            hub.metrics().transportError("exception");
        }
        if (connection != null) {
            hub.disconnect(connection, peerSentClose ? DisconnectReason.CLIENT_CLOSE : DisconnectReason.ERROR);
        }
        ctx.close();
    }

    // ---------------------------------------------------------------- Session

    /** Built when asked (logs, the admin API), not kept: one string less per idle connection. */
    @Override
    public String remoteAddress() {
        return channel != null && channel.remoteAddress() instanceof InetSocketAddress a
                ? a.getAddress().getHostAddress() + ":" + a.getPort() : "?";
    }

    @Override
    public boolean write(OutboundFrame frame) {
        if (closing) {
            return false;
        }
        PreEncodedFrame f = (PreEncodedFrame) frame;
        if (channel.unsafe().outboundBuffer() == null) {
            return false;
        }
        int size = f.wireSize();
        if (!admit(size)) {
            return false;
        }
        try {
            queue(f, size);
        } catch (OutOfMemoryError e) {
            // Direct memory ran out despite the high-water check (a burst between two writes): this
            // connection loses the frame, so it is closed and recovers with `since` on reconnect, and the
            // fan-out goes on to the other members.
            log.warn("closing {}: out of direct memory queueing a frame ({})", remoteAddress(), e.getMessage());
            closeSlowConsumer("server memory exhausted");
            return false;
        }
        return true;
    }

    /**
     * The one check every write to this connection passes (fan-out, replies, pongs, pings, echoes): false,
     * with the connection closing as a slow consumer (4008), when {@code size} more bytes would take what it
     * has queued past {@code websocket.maxQueuedBytes}, or past {@link #PRESSURE_QUEUED_BYTES} while direct
     * memory is low.
     */
    private boolean admit(int size) {
        long queued = queuedBytes() + size;
        if (queued > maxQueuedBytes) {
            closeSlowConsumer("send queue overflowed");
            return false;
        }
        // The caps of all connections together can exceed the process's direct memory: when it runs low,
        // a connection that is backed up is closed rather than allowed to queue up to its own cap. Backed
        // up: already holding that much before this frame, so one large frame to an idle connection passes.
        if (queued - size > pressureQueuedBytes && DirectMemory.aboveHighWater()) {
            closeSlowConsumer("send queue backed up while server memory is low");
            return false;
        }
        return true;
    }

    private void closeSlowConsumer(String reason) {
        if (connection != null) {
            hub.close(connection, CloseCode.SLOW_CONSUMER, reason, DisconnectReason.SLOW_CONSUMER);
        } else {
            closeNow(CloseCode.SLOW_CONSUMER, reason);
        }
    }

    /** Sends one frame through the cap and flushes; false, with the frame released, when it was refused. */
    private boolean send(WebSocketFrame frame) {
        int size = wireSize(frame);
        if (closing || !channel.isActive() || !admit(size)) {
            frame.release();
            return false;
        }
        uncork();
        submit(frame, size);
        channel.flush();
        return true;
    }


    @Override
    public void flush() {
        uncork();
        channel.flush();
    }



    @Override
    public void sendText(byte[] utf8) {
        if (channel.eventLoop().inEventLoop()) {
            writeTextNow(utf8);
        } else {
            channel.eventLoop().execute(() -> writeTextNow(utf8));
        }
    }

    private void writeTextNow(byte[] utf8) {
        // Copied into a pooled direct buffer: a wrapped heap array is copied to direct memory by the
        // encoder or the socket anyway, at a higher cost (echo-100: 18.7 against 15.6 us of server CPU per
        // reply); a reply held behind a backlog counts against websocket.maxQueuedBytes either way.
        send(new TextWebSocketFrame(channel.alloc().buffer(utf8.length).writeBytes(utf8)));
    }

    @Override
    public void ping() {
        send(new PingWebSocketFrame());
    }

    @Override
    public void close(CloseCode code, String reason) {
        if (channel.eventLoop().inEventLoop()) {
            closeNow(code, reason);
        } else {
            channel.eventLoop().execute(() -> closeNow(code, reason));
        }
    }

    /**
     * Queues the close frame after pending data and cuts the socket if the peer has not closed in time. A
     * slow consumer's close drops what has not reached the channel yet (the cork, the held frames) and
     * overtakes it: behind the whole queue the peer would see the socket cut before the close frame.
     */
    private void closeNow(CloseCode code, String reason) {
        if (closing) {
            return;
        }
        closing = true;
        if (!channel.isActive()) {
            return;
        }
        CloseWebSocketFrame close = new CloseWebSocketFrame(code.code(), reason);
        if (code == CloseCode.SLOW_CONSUMER) {
            dropQueued();
            pass(close);
        } else {
            uncork();
            submit(close, wireSize(close));
        }
        channel.flush();
        channel.eventLoop().schedule(() -> {
            channel.close();
        }, CLOSE_LINGER_MILLIS, TimeUnit.MILLISECONDS);
    }
}
