package io.switchboard.server.sse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.LastHttpContent;
import io.switchboard.core.DisconnectReason;
import io.switchboard.core.hub.Connection;
import io.switchboard.core.transport.OutboundFrame;
import io.switchboard.core.transport.Session;
import io.switchboard.protocol.CloseCode;
import io.switchboard.server.buffer.Buffers;
import io.switchboard.server.buffer.PeerProgress;
import io.switchboard.server.observability.ChannelSession;
import io.switchboard.server.websocket.PreEncodedFrame;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The hub's {@link Session} for one Server-Sent Events stream (the WHATWG HTML standard, section 9.2): every
 * message the hub sends is one event, {@code event:} its type, {@code data:} the same JSON as on WebSocket, and
 * {@code id:} the stream's position in all its rooms ({@link StreamPosition}), so that a reconnect with
 * {@code Last-Event-ID} recovers what was missed. Heartbeats are comments. Every write passes the same cap as
 * a WebSocket's ({@code websocket.maxQueuedBytes}, {@link io.switchboard.server.buffer.OutboundLimit}); past it
 * the stream is cut at once (a stream has no close frame to send ahead of its backlog) and the client
 * recovers with its last id. JSON never holds a raw line break (strings escape it), so one {@code data:} line
 * carries a whole message. Confined to the channel's event loop, except the methods {@link Session} marks
 * thread-safe.
 */
final class SseSession implements Session, ChannelSession {
    /** The comment a heartbeat writes: keeps proxies from closing an idle stream. */
    private static final byte[] HEARTBEAT = ":\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ID = "id: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT = "\nevent: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "\ndata: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);
    /** Events fixed by the stream itself, not by the hub: not counted as protocol messages. */
    static final String RECOVERED = "recovered";
    static final String CLOSE = "close";

    private final SseContext context;
    private final Channel channel;
    private final StreamPosition position;
    /**
     * Rooms whose recovery the client asked for (it sent a {@code Last-Event-ID}) but that the stream cannot
     * ask the hub for (an id of other rooms, or no position in the room): each gets {@code recovered: false}
     * when it is joined. Event loop only.
     */
    private final Set<String> lost;
    /** The hub's connection once registered. Event loop only. */
    private Connection connection;
    /** Set once the stream is being ended: nothing more is written. Event loop only. */
    private boolean closing;
    /**
     * Events written since the last flush, back to back: a flush sends them as one chunk of the response, so
     * a batch of fan-out deliveries costs one chunk header and one buffer, not one per event (as the
     * WebSocket's cork does for its frames). Null while empty. Event loop only.
     */
    private ByteBuf cork;

    SseSession(SseContext context, Channel channel, StreamPosition position, Set<String> lost) {
        this.context = context;
        this.channel = channel;
        this.position = position;
        this.lost = lost;
    }

    void registered(Connection connection) {
        this.connection = connection;
    }

    Connection connection() {
        return connection;
    }

    boolean closing() {
        return closing;
    }

    @Override
    public Channel channel() {
        return channel;
    }

    @Override
    public String remoteAddress() {
        return channel.remoteAddress() instanceof InetSocketAddress a
                ? a.getAddress().getHostAddress() + ":" + a.getPort() : "?";
    }

    @Override
    public boolean write(OutboundFrame frame) {
        if (closing || frame.binary()) {
            return false; // an event stream is text: binary relays have no event
        }
        PreEncodedFrame f = (PreEncodedFrame) frame;
        EventHead head = f.derived(EventHead::of);
        return event(head, f.payload());
    }

    @Override
    public void flush() {
        uncork();
        channel.flush();
    }

    /** Hands the corked events to the channel as one chunk (without flushing). */
    private void uncork() {
        ByteBuf corked = cork;
        if (corked != null) {
            cork = null;
            channel.write(corked, channel.voidPromise());
        }
    }

    @Override
    public void sendText(byte[] utf8) {
        if (channel.eventLoop().inEventLoop()) {
            sendNow(utf8);
        } else {
            channel.eventLoop().execute(() -> sendNow(utf8));
        }
    }

    private void sendNow(byte[] utf8) {
        if (closing) {
            return;
        }
        EventHead head = EventHead.of(utf8);
        ByteBuf json = channel.alloc().buffer(utf8.length).writeBytes(utf8);
        try {
            if (!event(head, json)) {
                return;
            }
        } finally {
            json.release();
        }
        if (head.type().equals("room_joined") && head.room() != null) {
            recovered(head);
        }
        flush();
    }

    /**
     * After a room's {@code room_joined} on a reconnect: a {@code recovered} event saying whether every missed
     * message of the room came (the hub's answer to the position the stream asked from), or false for a room
     * the stream could not ask for.
     */
    private void recovered(EventHead joined) {
        Boolean recovered = joined.recovered();
        if (lost.remove(joined.room())) {
            recovered = false;
        }
        if (recovered == null) {
            return;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", RECOVERED);
        m.put("room", joined.room());
        m.put("recovered", recovered);
        if (joined.offset() >= 0) {
            m.put("offset", joined.offset());
        }
        if (joined.epoch() != null) {
            m.put("epoch", joined.epoch());
        }
        byte[] bytes = context.hub().codec().encodeValue(m);
        ByteBuf buf = channel.alloc().buffer(bytes.length).writeBytes(bytes);
        try {
            event(new EventHead(RECOVERED, joined.room(), -1, null, recovered), buf);
        } finally {
            buf.release();
        }
    }

    /** Writes one event (not flushed) through the cap; false when the stream is closing or was cut for it. */
    private boolean event(EventHead head, ByteBuf json) {
        position.advance(head);
        String id = position.id();
        int size = ID.length + id.length() + EVENT.length + head.type().length() + DATA.length
                + json.readableBytes() + END.length;
        if (!admit(size)) {
            return false;
        }
        int capacity = 1024;
        if (cork != null && cork.writableBytes() < size) {
            // Full: the events so far go out as a chunk and a cork twice as large starts; a cork is never
            // grown (Buffers.CORK_MAX_BYTES says why). An event larger than a cork gets a buffer of its own.
            capacity = 2 * cork.capacity();
            uncork();
        }
        if (cork == null) {
            cork = channel.alloc().directBuffer(size > Buffers.CORK_MAX_BYTES ? size
                    : Buffers.corkCapacity(Math.max(size, capacity)));
        }
        ByteBuf out = cork;
        out.writeBytes(ID);
        out.writeCharSequence(id, StandardCharsets.US_ASCII);
        out.writeBytes(EVENT);
        out.writeCharSequence(head.type(), StandardCharsets.UTF_8);
        out.writeBytes(DATA);
        out.writeBytes(json, json.readerIndex(), json.readableBytes());
        out.writeBytes(END);
        return true;
    }

    /** Bytes written to the stream and not yet on the socket: the channel's and the cork's. Event loop only. */
    @Override
    public long pendingBytes() {
        var out = channel.unsafe().outboundBuffer();
        return (out == null ? 0 : out.totalPendingWriteBytes()) + (cork == null ? 0 : cork.readableBytes());
    }

    @Override
    public long millisSincePeerTook() {
        return PeerProgress.millisSinceDataSent(channel);
    }

    /** The cap every write passes; past it the stream is closed as a slow consumer. */
    private boolean admit(int size) {
        if (closing || !channel.isActive()) {
            return false;
        }
        String refusal = context.limit().refusal(pendingBytes(), size);
        if (refusal != null) {
            closeSlowConsumer(refusal);
            return false;
        }
        return true;
    }

    private void closeSlowConsumer(String reason) {
        if (connection != null) {
            context.hub().close(connection, CloseCode.SLOW_CONSUMER, reason, DisconnectReason.SLOW_CONSUMER);
        } else {
            closeNow(CloseCode.SLOW_CONSUMER, reason);
        }
    }

    /** A heartbeat comment; a stream the client reads counts as alive (it cannot answer pings). */
    @Override
    public void ping() {
        if (!admit(HEARTBEAT.length)) {
            return;
        }
        uncork();
        channel.writeAndFlush(channel.alloc().buffer(HEARTBEAT.length).writeBytes(HEARTBEAT), channel.voidPromise());
        if (connection != null && channel.isWritable()) {
            connection.touch(context.hub().time().nanoTime());
        }
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
     * Ends the stream: a {@code close} event with the code and reason of the close-code table (the client
     * decides from it whether to reconnect), then the end of the response. A slow consumer's stream is cut at
     * once: its backlog is what the cap refused to add to.
     */
    private void closeNow(CloseCode code, String reason) {
        if (closing) {
            return;
        }
        if (code == CloseCode.SLOW_CONSUMER || !channel.isActive()) {
            closing = true;
            dropCork();
            channel.close();
            return;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", CLOSE);
        m.put("code", code.code());
        m.put("reason", reason);
        ByteBuf buf = Unpooled.wrappedBuffer(context.hub().codec().encodeValue(m));
        try {
            event(new EventHead(CLOSE, null, -1, null, null), buf);
        } finally {
            buf.release();
        }
        closing = true;
        uncork();
        channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
    }

    /** Releases the corked events: the stream is gone or cut. */
    void dropCork() {
        if (cork != null) {
            cork.release();
            cork = null;
        }
    }
}
