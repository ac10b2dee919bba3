package io.switchboard.server;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers pipelined HTTP requests in the order they came (RFC 9112 section 9.3.2). Some answers are written
 * later than their request is read ({@code /health} waits for its checks, {@code /metrics} renders on a thread
 * of its own, the API may wait for a remote store), so a keep-alive client that sends a second request
 * before the first is answered would otherwise get the second answer first. Hands the router one request
 * at a time: the next once the previous response's last part is written. While requests wait, reading
 * stops; at most {@link #MAX_WAITING} may wait (one read can hold many), beyond that the connection is
 * closed. Removes itself when the connection switches to WebSocket. Confined to the channel's event loop.
 */
final class HttpPipeliningHandler extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(HttpPipeliningHandler.class);

    /** Requests read while another is being answered, before the connection is closed. */
    static final int MAX_WAITING = 64;

    /** Requests read and not yet handed on, oldest first. */
    private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
    /** A request was handed on and its response's last part is not written yet. */
    private boolean answering;
    /** Inside {@link #dispatch}: a response written there lets the loop hand on the next request. */
    private boolean dispatching;
    /** Reading was stopped here because requests wait. */
    private boolean pausedReading;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest req)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (waiting.size() == MAX_WAITING) {
            req.release();
            log.info("closing {}: more than {} pipelined HTTP requests waiting", ctx.channel().remoteAddress(),
                    MAX_WAITING);
            releaseWaiting();
            ctx.close();
            return;
        }
        waiting.add(req);
        dispatch(ctx);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        boolean switching = msg instanceof HttpResponse res
                && res.status().code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code();
        boolean last = msg instanceof LastHttpContent;
        ctx.write(msg, promise);
        if (switching) {
            // The connection speaks WebSocket from here on: nothing after the upgrade request is HTTP.
            ctx.pipeline().remove(this);
        } else if (last && answering) {
            answering = false;
            dispatch(ctx);
        }
    }

    /** Hands on waiting requests while none is being answered; stops or resumes reading to match. */
    private void dispatch(ChannelHandlerContext ctx) {
        if (dispatching) {
            return; // the loop below continues once the request it handed on returns
        }
        dispatching = true;
        try {
            while (!answering && !waiting.isEmpty() && !ctx.isRemoved()) {
                answering = true;
                ctx.fireChannelRead(waiting.poll());
            }
        } finally {
            dispatching = false;
        }
        boolean pause = !waiting.isEmpty();
        if (pause != pausedReading && !ctx.isRemoved()) {
            pausedReading = pause;
            ctx.channel().config().setAutoRead(!pause);
        }
    }

    private void releaseWaiting() {
        FullHttpRequest req;
        while ((req = waiting.poll()) != null) {
            req.release();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        releaseWaiting();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseWaiting();
        if (pausedReading) {
            pausedReading = false;
            ctx.channel().config().setAutoRead(true);
        }
    }
}
