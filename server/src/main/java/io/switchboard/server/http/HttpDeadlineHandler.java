package io.switchboard.server.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deadlines of a connection while it still speaks HTTP. From accept, the first request must be
 * complete within {@code websocket.handshakeTimeout}; later requests on a keep-alive connection
 * within {@code server.readTimeout} of their first byte; between requests the connection may idle
 * for {@code server.idleTimeout}. Sits before the HTTP codec, so a client that trickles header bytes
 * is cut at the deadline however slowly it sends. Removed once the connection upgrades.
 * Confined to the channel's event loop.
 */
public final class HttpDeadlineHandler extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(HttpDeadlineHandler.class);

    private final long firstRequestNanos;
    private final long requestNanos;
    private final long idleNanos;
    private ChannelHandlerContext ctx;
    private Future<?> timer;
    /** True while a request is being received (between its first byte and its dispatch). */
    private boolean inRequest;

    public HttpDeadlineHandler(long firstRequestNanos, long requestNanos, long idleNanos) {
        this.firstRequestNanos = firstRequestNanos;
        this.requestNanos = requestNanos;
        this.idleNanos = idleNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        inRequest = true;
        arm(firstRequestNanos, "no complete request within websocket.handshakeTimeout");
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (!inRequest) {
            inRequest = true;
            arm(requestNanos, "request not complete within server.readTimeout");
        }
        super.channelRead(ctx, msg);
    }

    /** The router dispatched a complete request: from now on the connection idles. */
    void requestComplete() {
        inRequest = false;
        arm(idleNanos, "idle longer than server.idleTimeout");
    }

    private void arm(long nanos, String why) {
        cancel();
        boolean firstRequest = why.contains("websocket.handshakeTimeout");
        timer = ctx.executor().schedule(() -> {
            // The handshake deadline is a security limit (slowloris): logged at info like every other one.
            if (firstRequest) {
                log.info("closing {}: {}", ctx.channel().remoteAddress(), why);
            } else {
                log.debug("closing {}: {}", ctx.channel().remoteAddress(), why);
            }
            ctx.close();
        }, nanos, TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }
}
