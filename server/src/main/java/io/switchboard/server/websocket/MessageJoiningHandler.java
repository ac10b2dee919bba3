package io.switchboard.server.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * The last stage of a WebSocket connection, joining a fragmented message (RFC 6455 section 5.4) up to
 * {@code websocket.maxMessageBytes} before handling it. That limit is enforced here, on plain and inflated
 * bytes alike (the inflater's own cap is only a bomb guard, see {@link #inflaterCap}). A base class rather than a stage of its own (Netty's
 * {@code WebSocketFrameAggregator}): one pipeline stage less per connection, its context and its fields,
 * for the two fields here. The frame decoder has already refused continuations without a start and starts
 * inside a message. Confined to the channel's event loop.
 */
abstract class MessageJoiningHandler extends ChannelInboundHandlerAdapter {
    /** Fragments kept before the composite buffer consolidates them (Netty's aggregator keeps as many). */
    private static final int MAX_COMPONENTS = 1024;

    private final int maxMessageBytes;
    /** The fragments of the message under way; null between messages and after one was refused. */
    private CompositeByteBuf fragments;
    /** Whether the message under way is text. */
    private boolean fragmentsText;

    MessageJoiningHandler(int maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
    }

    /**
     * Hands on the message of a text, binary or continuation frame: to {@link #onMessage} at once when the
     * frame is a whole message, else once its last fragment arrived. The caller still releases the frame.
     */
    final void dataFrame(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame.isFinalFragment() && !(frame instanceof ContinuationWebSocketFrame)) {
            // The frame decoder bounds a plain frame by websocket.maxFrameBytes, but not an inflated one.
            if (frame.content().readableBytes() > maxMessageBytes) {
                messageTooBig();
                return;
            }
            onMessage(ctx, frame instanceof TextWebSocketFrame, frame.content());
            return;
        }
        ByteBuf whole = join(frame);
        if (whole != null) {
            try {
                onMessage(ctx, fragmentsText, whole);
            } finally {
                whole.release();
            }
        }
    }

    /**
     * The inflater's cap for websocket.maxMessageBytes: Netty's inflater refuses as soon as twice its unread
     * input no longer fits in what is left of its cap, so a cap of the limit itself refuses messages that
     * inflate to less (issue 21: 65,025 bytes). With room for twice a whole frame it never refuses one
     * within the limit; this class then applies the limit to the inflated bytes exactly.
     */
    static int inflaterCap(int maxMessageBytes, int maxFrameBytes) {
        return maxMessageBytes + 2 * maxFrameBytes;
    }

    /** A whole text or binary message. {@code content} is lent for the call: retain it to keep it. */
    abstract void onMessage(ChannelHandlerContext ctx, boolean text, ByteBuf content);

    /**
     * Takes in a fragment. Returns the whole message once its last fragment arrived; null before that, and
     * for the rest of a message that grew past {@code websocket.maxMessageBytes}, for which
     * {@link #messageTooBig} was called.
     */
    private ByteBuf join(WebSocketFrame frame) {
        ByteBuf content = frame.content();
        if (!(frame instanceof ContinuationWebSocketFrame)) {
            releaseFragments();
            fragmentsText = frame instanceof TextWebSocketFrame;
            fragments = content.alloc().compositeBuffer(MAX_COMPONENTS);
        } else if (fragments == null) {
            return null;
        }
        if (fragments.readableBytes() > maxMessageBytes - content.readableBytes()) {
            releaseFragments();
            messageTooBig();
            return null;
        }
        fragments.addComponent(true, content.retain());
        if (!frame.isFinalFragment()) {
            return null;
        }
        ByteBuf whole = fragments;
        fragments = null;
        return whole;
    }

    /** A message (joined or inflated) grew past {@code websocket.maxMessageBytes}: close with 1009 (RFC 6455 section 7.4.1). */
    abstract void messageTooBig();

    /** Forgets the fragments of the message under way, if any (also when the limit stage dropped its rest). */
    final void releaseFragments() {
        if (fragments != null) {
            fragments.release();
            fragments = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        releaseFragments();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) throws Exception {
        releaseFragments();
        super.handlerRemoved(ctx);
    }
}
