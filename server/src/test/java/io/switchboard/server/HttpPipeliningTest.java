package io.switchboard.server;

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
import io.switchboard.testkit.RawPeer;
import io.switchboard.server.config.Monitoring;
import io.switchboard.server.config.SwitchboardConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Pipelined HTTP requests are answered in the order they came, even when an earlier answer is written later. */
class HttpPipeliningTest {
    private SwitchboardServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static byte[] requests(String... paths) {
        StringBuilder b = new StringBuilder();
        for (String path : paths) {
            b.append("GET ").append(path).append(" HTTP/1.1\r\nHost: localhost\r\n\r\n");
        }
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static List<RawPeer.Response> responses(RawPeer peer, int count) {
        List<RawPeer.Response> got = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            got.add(peer.readResponse());
        }
        return got;
    }

    @Test
    void aSlowHealthAnswerStillComesBeforeTheAnswersOfTheRequestsPipelinedBehindIt() {
        server = startWithSlowHealth();
        try (RawPeer peer = RawPeer.open(server.port())) {
            peer.write(requests("/health", "/nope", "/ready", "/health", "/nope"));
            List<RawPeer.Response> got = responses(peer, 5);
            assertThat(got).extracting(RawPeer.Response::status).containsExactly(200, 404, 200, 200, 404);
            assertThat(got.get(0).body()).contains("\"slow\"");
            assertThat(got.get(1).body()).isEqualTo("not found\n");
            assertThat(got.get(3).body()).contains("\"slow\"");
        }
    }

    private SwitchboardServer startWithSlowHealth() {
        return SwitchboardServer.start(TestServers.config(), Instrumentation.defaults()
                .withHealthCheck("slow", () -> CompletableFuture.runAsync(() -> { },
                        CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS))));
    }

    private static byte[] postExpectingContinue(long contentLength) {
        return ("POST /api/broadcast HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "X-API-Key: " + TestServers.API_KEY + "\r\n"
                + "Expect: 100-continue\r\nContent-Length: " + contentLength + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void theAggregatorsContinueWaitsForTheAnswerBeforeIt() {
        server = startWithSlowHealth();
        try (RawPeer peer = RawPeer.open(server.port())) {
            byte[] health = requests("/health");
            byte[] body = "{\"content\":\"hi\"}".getBytes(StandardCharsets.US_ASCII);
            byte[] post = postExpectingContinue(body.length);
            byte[] both = new byte[health.length + post.length];
            System.arraycopy(health, 0, both, 0, health.length);
            System.arraycopy(post, 0, both, health.length, post.length);
            peer.write(both);
            RawPeer.Response first = peer.readResponse();
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.body()).contains("\"slow\"");
            assertThat(peer.readResponse().status()).isEqualTo(100);
            peer.write(body);
            RawPeer.Response answer = peer.readResponse(); // the broadcast is answered after its handler returned
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.body()).isEqualTo("{\"ok\":true}");
            peer.write(requests("/nope"));
            assertThat(peer.readResponse().status()).isEqualTo(404);
        }
    }

    @Test
    void theAggregatorsTooLargeWaitsForTheAnswerBeforeIt() {
        server = startWithSlowHealth();
        try (RawPeer peer = RawPeer.open(server.port())) {
            byte[] health = requests("/health");
            byte[] post = postExpectingContinue(100L * 1024 * 1024);
            byte[] both = new byte[health.length + post.length];
            System.arraycopy(health, 0, both, 0, health.length);
            System.arraycopy(post, 0, both, health.length, post.length);
            peer.write(both);
            assertThat(peer.readResponse().status()).isEqualTo(200);
            assertThat(peer.readResponse().status()).isEqualTo(413);
        }
    }

    @Test
    void aScrapeRenderedOnItsOwnThreadComesBeforeTheAnswerPipelinedBehindIt() throws IOException {
        int monitoringPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            monitoringPort = probe.getLocalPort();
        }
        SwitchboardConfig c = TestServers.config();
        server = SwitchboardServer.start(c.toBuilder()
                .monitoring(Monitoring.builder().port(monitoringPort).metricsPath("/prom").build()).build());
        try (RawPeer peer = RawPeer.open(monitoringPort)) {
            for (int round = 0; round < 5; round++) {
                peer.write(requests("/prom", "/nope", "/prom"));
                List<RawPeer.Response> got = responses(peer, 3);
                assertThat(got).as("round %d", round).extracting(RawPeer.Response::status)
                        .containsExactly(200, 404, 200);
                assertThat(got.get(0).body()).contains("websocket_active_connections");
            }
        }
    }

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
    }
}
