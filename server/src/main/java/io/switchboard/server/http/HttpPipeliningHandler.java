package io.switchboard.server.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers pipelined HTTP requests in the order they came (RFC 9112 section 9.3.2). Some answers are written
 * later than their request is read ({@code /health} waits for its checks, {@code /metrics} renders on a thread
 * of its own, the API may wait for a remote store), so a keep-alive client that sends a second request
 * before the first is answered would otherwise get the second answer first. Sits between the HTTP codec and
 * the aggregator, so the aggregator's own answers ({@code 100 Continue}, {@code 413}, {@code 417}) wait their
 * turn too. Hands on one request at a time, with its body parts as they come; the next request once the
 * previous one's final response (not a {@code 1xx}) has its last part written and the channel is writable
 * (its queued answers are below the write-buffer high-water mark). Without the second condition a peer that
 * pipelines requests and never reads had every answer queued for it as fast as it wrote requests (71,500
 * GETs of a 23 KB file: 536 MB of direct memory). While requests wait or the channel is not writable,
 * reading stops; at most {@link #MAX_WAITING} requests or {@link #MAX_WAITING_PARTS} parts may wait (one
 * read can hold many), beyond that the connection is closed. Removes itself when the connection switches
 * to WebSocket. Confined to the channel's event loop.
 */
public final class HttpPipeliningHandler extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(HttpPipeliningHandler.class);

    /** Requests read while another is being answered, before the connection is closed. */
    static final int MAX_WAITING = 64;
    /** Message parts (request heads and body chunks) waiting, before the connection is closed. */
    static final int MAX_WAITING_PARTS = 1024;

    /** Parts read and not yet handed on, oldest first. */
    private final ArrayDeque<HttpObject> waiting = new ArrayDeque<>();
    /** Request heads among {@link #waiting}. */
    private int waitingRequests;
    /** A request was handed on and its final response's last part is not written yet. */
    private boolean answering;
    /** The response being written is an interim one ({@code 100 Continue}): its end does not end the answer. */
    private boolean interim;
    /** Inside {@link #dispatch}: a response written there lets the loop hand on the next request. */
    private boolean dispatching;
    /** Reading was stopped here because requests wait. */
    private boolean pausedReading;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpObject part)) {
            ctx.fireChannelRead(msg);
            return;
        }
        boolean request = part instanceof HttpRequest;
        if (waiting.size() == MAX_WAITING_PARTS || request && waitingRequests == MAX_WAITING) {
            ReferenceCountUtil.release(part);
            log.info("closing {}: pipelined HTTP requests over the bound ({} requests, {} parts waiting)",
                    ctx.channel().remoteAddress(), waitingRequests, waiting.size());
            releaseWaiting();
            ctx.close();
            return;
        }
        waiting.add(part);
        if (request) {
            waitingRequests++;
        }
        dispatch(ctx);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        boolean switching = false;
        if (msg instanceof HttpResponse res) {
            int code = res.status().code();
            switching = code == HttpResponseStatus.SWITCHING_PROTOCOLS.code();
            interim = code >= 100 && code < 200 && !switching;
        }
        boolean last = msg instanceof LastHttpContent && !interim;
        ctx.write(msg, promise);
        if (switching) {
            // The connection speaks WebSocket from here on: nothing after the upgrade request is HTTP.
            ctx.pipeline().remove(this);
        } else if (last && answering) {
            answering = false;
            dispatch(ctx);
        }
    }

    /**
     * Hands on waiting parts: a request's body parts as they come, the next request only when none is being
     * answered and the channel is writable. Stops or resumes reading to match.
     */
    private void dispatch(ChannelHandlerContext ctx) {
        if (dispatching) {
            return; // the loop below continues once the part it handed on returns
        }
        dispatching = true;
        try {
            HttpObject next;
            while ((next = waiting.peek()) != null && !ctx.isRemoved()) {
                if (next instanceof HttpRequest) {
                    if (answering || !ctx.channel().isWritable()) {
                        break;
                    }
                    answering = true;
                    waitingRequests--;
                }
                ctx.fireChannelRead(waiting.poll());
            }
        } finally {
            dispatching = false;
        }
        boolean pause = !waiting.isEmpty() || !ctx.channel().isWritable();
        if (pause != pausedReading && !ctx.isRemoved()) {
            pausedReading = pause;
            ctx.channel().config().setAutoRead(!pause);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        dispatch(ctx);
        ctx.fireChannelWritabilityChanged();
    }

    private void releaseWaiting() {
        HttpObject part;
        while ((part = waiting.poll()) != null) {
            ReferenceCountUtil.release(part);
        }
        waitingRequests = 0;
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
