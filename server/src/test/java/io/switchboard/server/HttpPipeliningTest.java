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
import io.switchboard.server.config.Monitoring;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.server.observability.Instrumentation;
import io.switchboard.testkit.RawPeer;
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
}
