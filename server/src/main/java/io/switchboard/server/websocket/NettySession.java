package io.switchboard.server.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.switchboard.core.DisconnectReason;
import io.switchboard.core.hub.Connection;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.core.transport.OutboundFrame;
import io.switchboard.core.transport.Session;
import io.switchboard.protocol.CloseCode;
import io.switchboard.server.buffer.OutboundLimit;
import io.switchboard.server.buffer.PeerProgress;
import io.switchboard.server.observability.ChannelSession;
import io.switchboard.server.observability.InboundMessages;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's {@link Session} for one WebSocket connection: every write to the connection passes the cap
 * of {@code websocket.maxQueuedBytes} here and goes out through its {@link OutboundQueue}; closes send one
 * close frame and cut the socket after a linger. Frames come in through {@link WebSocketInboundHandler},
 * which creates it. Confined to the channel's event loop, except the methods {@link Session} marks
 * thread-safe.
 */
public final class NettySession extends OutboundQueue implements Session, ChannelSession, InboundMessages.Replies {
    private static final Logger log = LoggerFactory.getLogger(NettySession.class);
    /** How long a closing connection may take to drain its close frame before the socket is cut. */
    public static final long CLOSE_LINGER_MILLIS = 2000;
    private final SessionSettings settings;
    /** The hub's connection once registered, else null. Event loop only. */
    private Connection connection;
    /** Set once a close frame was queued; nothing else is written after it. Event loop only. */
    private boolean closing;

    private static final byte DEFLATE_UNKNOWN = 0;
    private static final byte DEFLATE_OFF = 1;
    private static final byte DEFLATE_ON = 2;
    /** Whether fan-out frames go out compressed; see {@link #compresses}. Event loop only. */
    private byte deflate;

    NettySession(SessionSettings settings) {
        this.settings = settings;
    }

    /** The handshake completed: frames go out on {@code channel}, pre-encoded ones below {@code frameOut}. */
    void attach(Channel channel, ChannelHandlerContext frameOut) {
        this.channel = channel;
        this.frameOut = frameOut;
    }

    /** The hub registered the connection. */
    void registered(Connection connection) {
        this.connection = connection;
    }

    /** The hub's connection once registered, else null. */
    Connection connection() {
        return connection;
    }

    /** The channel once the handshake completed, else null. */
    @Override
    public Channel channel() {
        return channel;
    }

    /** Whether a close frame was queued or answered: nothing more is read or written. */
    boolean closing() {
        return closing;
    }

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
        if (compresses()) {
            f = f.compressed(channel.alloc());
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
     * Whether the connection negotiated permessage-deflate, so fan-out frames go to it compressed. Known by the
     * first fan-out write, which comes after the handshake chose its extensions.
     */
    private boolean compresses() {
        if (deflate == DEFLATE_UNKNOWN) {
            deflate = channel.hasAttr(DeflateOffers.NEGOTIATED) ? DEFLATE_ON : DEFLATE_OFF;
        }
        return deflate == DEFLATE_ON;
    }

    /**
     * The one check every write to this connection passes (fan-out, replies, pongs, pings, echoes): false,
     * with the connection closing as a slow consumer (4008), when {@code size} more bytes would take what it
     * has queued past {@code websocket.maxQueuedBytes}, or when it is backed up while direct memory is low
     * ({@link OutboundLimit}).
     */
    private boolean admit(int size) {
        String refusal = settings.limit().refusal(queuedBytes(), size);
        if (refusal != null) {
            closeSlowConsumer(refusal);
            return false;
        }
        return true;
    }

    private void closeSlowConsumer(String reason) {
        if (connection != null) {
            settings.hub().close(connection, CloseCode.SLOW_CONSUMER, reason, DisconnectReason.SLOW_CONSUMER);
        } else {
            closeNow(CloseCode.SLOW_CONSUMER, reason);
        }
    }

    /**
     * Closes for a peer's protocol violation and takes the connection out of its rooms at once, not
     * when the peer answers the close (or the linger cuts it).
     */
    void closeForViolation(CloseCode code, String reason) {
        if (connection != null) {
            settings.hub().close(connection, code, reason, DisconnectReason.POLICY);
        } else {
            close(code, reason);
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

    /** RFC 6455 section 5.5.2: a pong with the ping's payload, behind what is already queued. */
    void pong(ByteBuf payload) {
        send(new PongWebSocketFrame(payload));
    }

    /** Sends a binary message (a reply to a binary op) and counts it. */
    void sendBinary(ByteBuf payload) {
        int size = payload.readableBytes();
        if (send(new BinaryWebSocketFrame(payload))) {
            settings.hub().metrics().messagesSent(HubMetrics.FrameType.BINARY, 1, size);
        }
    }

    @Override
    public boolean sendMessage(boolean text, ByteBuf payload) {
        return send(text ? new TextWebSocketFrame(payload) : new BinaryWebSocketFrame(payload));
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
    public long pendingBytes() {
        return queuedBytes();
    }

    @Override
    public long millisSincePeerTook() {
        return PeerProgress.millisSinceDataSent(channel);
    }

    @Override
    public void pauseReading(boolean paused) {
        channel.config().setAutoRead(!paused);
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

    /**
     * RFC 6455 section 5.5.1: answer a peer's close with one close frame, unless ours already went out, in
     * which case the closing handshake is complete and only the TCP connection remains to be closed.
     */
    void peerClosed(Channel ch, CloseWebSocketFrame close) {
        if (closing) {
            ch.close();
            return;
        }
        closing = true;
        int status = close.statusCode();
        CloseWebSocketFrame reply = status < 0 ? new CloseWebSocketFrame() : new CloseWebSocketFrame(status, "");
        // A peer that closes while its queue is backed up no longer reads it: the reply goes out at once.
        dropQueued();
        ch.writeAndFlush(reply).addListener(ChannelFutureListener.CLOSE);
    }

    /** The channel crossed a write-buffer water mark: hand on held frames, and tell the hub of a backlog. */
    void writabilityChanged(Channel ch) {
        if (ch.isWritable() && holding()) {
            try {
                drain();
            } catch (OutOfMemoryError e) {
                // Draining copies held frames into corks: with direct memory gone this connection is closed
                // like one that could not queue (it recovers with `since`), and its held frames are released.
                log.warn("closing {}: out of direct memory draining its queue ({})", remoteAddress(), e.getMessage());
                closeSlowConsumer("server memory exhausted");
                return;
            }
            ch.flush();
        }
        if (connection != null) {
            // Backlogged while anything waits: in the channel above its high-water mark, or held here.
            if (!ch.isWritable()) {
                connection.backlogged(Math.max(1, settings.hub().time().nanoTime()));
            } else if (!holding()) {
                connection.backlogged(0);
            }
        }
    }
}
