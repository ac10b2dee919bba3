package io.switchboard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pipelining stage on its own: requests wait their turn, bounded, and the stage leaves on an upgrade. */
class HttpPipeliningHandlerTest {
    /** Hands every request on to a router that answers only when the test says so. */
    private static final class HeldRouter extends ChannelInboundHandlerAdapter {
        final List<FullHttpRequest> held = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            held.add((FullHttpRequest) msg);
        }

        void answer(EmbeddedChannel ch, HttpResponseStatus status) {
            held.remove(0).release();
            ch.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status));
        }
    }

    private static FullHttpRequest get(String path) {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
    }

    @Test
    void requestsWaitWithReadingStoppedUntilTheAnswerBeforeThemIsWritten() {
        HeldRouter router = new HeldRouter();
        EmbeddedChannel ch = new EmbeddedChannel(new HttpPipeliningHandler(), router);
        ch.writeInbound(get("/a"), get("/b"), get("/c"));
        assertThat(router.held).extracting(FullHttpRequest::uri).containsExactly("/a");
        assertThat(ch.config().isAutoRead()).isFalse();

        router.answer(ch, HttpResponseStatus.OK);
        assertThat(router.held).extracting(FullHttpRequest::uri).containsExactly("/b");
        router.answer(ch, HttpResponseStatus.OK);
        assertThat(router.held).extracting(FullHttpRequest::uri).containsExactly("/c");
        assertThat(ch.config().isAutoRead()).isTrue();
        router.answer(ch, HttpResponseStatus.OK);
        assertThat(router.held).isEmpty();
        for (int i = 0; i < 3; i++) {
            DefaultFullHttpResponse res = ch.readOutbound();
            res.release();
        }
        Object none = ch.readOutbound();
        assertThat(none).isNull();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void requestsWaitWithReadingStoppedWhileTheChannelIsNotWritable() {
        HeldRouter router = new HeldRouter();
        EmbeddedChannel ch = new EmbeddedChannel(new HttpPipeliningHandler(), router);
        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, false); // as above the high-water mark
        ch.writeInbound(get("/a"));
        assertThat(router.held).isEmpty();
        assertThat(ch.config().isAutoRead()).isFalse();

        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        ch.runPendingTasks();
        assertThat(router.held).extracting(FullHttpRequest::uri).containsExactly("/a");
        assertThat(ch.config().isAutoRead()).isTrue();
        router.answer(ch, HttpResponseStatus.OK);
        DefaultFullHttpResponse res = ch.readOutbound();
        res.release();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void aBodyFlowsToTheRequestBeingAnsweredWhileTheNextRequestWaits() {
        List<Object> seen = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(new HttpPipeliningHandler(), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                seen.add(msg);
            }
        });
        HttpRequest post = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/a");
        HttpContent chunk = new DefaultHttpContent(Unpooled.copiedBuffer("{", StandardCharsets.US_ASCII));
        ch.writeInbound(post, chunk);
        assertThat(seen).containsExactly(post, chunk);
        LastHttpContent end = new DefaultLastHttpContent(Unpooled.copiedBuffer("}", StandardCharsets.US_ASCII));
        FullHttpRequest next = get("/b");
        ch.writeInbound(end, next);
        assertThat(seen).containsExactly(post, chunk, end);
        assertThat(ch.config().isAutoRead()).isFalse();

        ch.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        assertThat(seen).hasSize(3); // an interim response does not end the answer
        ch.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        assertThat(seen).containsExactly(post, chunk, end, next);
        assertThat(ch.config().isAutoRead()).isTrue();
        seen.forEach(ReferenceCountUtil::release);
        for (int i = 0; i < 2; i++) {
            DefaultFullHttpResponse res = ch.readOutbound();
            res.release();
        }
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void moreWaitingPartsThanTheBoundCloseTheConnectionAndReleaseThemAll() {
        HeldRouter router = new HeldRouter();
        EmbeddedChannel ch = new EmbeddedChannel(new HttpPipeliningHandler(), router);
        ch.writeInbound(get("/a"));
        List<HttpContent> sent = new ArrayList<>();
        ch.writeInbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/b"));
        for (int i = 0; i < HttpPipeliningHandler.MAX_WAITING_PARTS && ch.isOpen(); i++) {
            HttpContent part = new DefaultHttpContent(Unpooled.copiedBuffer("x", StandardCharsets.US_ASCII));
            sent.add(part);
            ch.writeInbound(part);
        }
        assertThat(ch.isOpen()).isFalse();
        assertThat(sent).hasSize(HttpPipeliningHandler.MAX_WAITING_PARTS);
        assertThat(sent).allSatisfy(part -> assertThat(part.refCnt()).isZero());
        router.held.remove(0).release();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void moreWaitingRequestsThanTheBoundCloseTheConnectionAndReleaseThemAll() {
        HeldRouter router = new HeldRouter();
        EmbeddedChannel ch = new EmbeddedChannel(new HttpPipeliningHandler(), router);
        List<FullHttpRequest> sent = new ArrayList<>();
        for (int i = 0; i <= HttpPipeliningHandler.MAX_WAITING + 1; i++) {
            FullHttpRequest req = get("/" + i);
            sent.add(req);
            ch.writeInbound(req);
        }
        assertThat(ch.isOpen()).isFalse();
        assertThat(router.held).hasSize(1);
        router.held.remove(0).release();
        assertThat(sent).allSatisfy(req -> assertThat(req.refCnt()).isZero());
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void switchingToWebSocketRemovesTheStageAndResumesReading() {
        HeldRouter router = new HeldRouter();
        EmbeddedChannel ch = new EmbeddedChannel(new HttpPipeliningHandler(), router);
        FullHttpRequest waiting = get("/after-upgrade");
        ch.writeInbound(get("/ws"), waiting);
        assertThat(ch.config().isAutoRead()).isFalse();

        router.answer(ch, HttpResponseStatus.SWITCHING_PROTOCOLS);
        assertThat(ch.pipeline().get(HttpPipeliningHandler.class)).isNull();
        assertThat(ch.config().isAutoRead()).isTrue();
        assertThat(waiting.refCnt()).isZero();
        assertThat(router.held).isEmpty();
        DefaultFullHttpResponse res = ch.readOutbound();
        res.release();
        assertThat(ch.finish()).isFalse();
    }}
