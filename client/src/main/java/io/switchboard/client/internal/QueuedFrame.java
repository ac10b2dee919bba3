package io.switchboard.client.internal;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.concurrent.CompletableFuture;

/**
 * A frame to write, usually waiting in a client's bounded send queue (joins and leaves are written at
 * once): a request (its encoded command, with its {@link PendingRequest}), or a raw text or binary
 * frame (with the future completed when it is written). Immutable; the Netty frame is created only
 * when written, so a dropped entry holds no buffer.
 */
record QueuedFrame(String text, byte[] binary, PendingRequest<?> pending, CompletableFuture<Void> written) {
    WebSocketFrame frame() {
        return text != null ? new TextWebSocketFrame(text) : new BinaryWebSocketFrame(Unpooled.wrappedBuffer(binary));
    }
}
