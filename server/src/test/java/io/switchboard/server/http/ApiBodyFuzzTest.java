package io.switchboard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.switchboard.core.TimeSource;
import io.switchboard.core.auth.Grants;
import io.switchboard.core.auth.RoomPatterns;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.internal.SlidingRate;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.server.observability.Instrumentation;
import io.switchboard.server.observability.Observability;
import io.switchboard.server.websocket.PreEncodedFrame;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Fuzz target for the body parser of the HTTP API ({@link ApiHandler}) behind the production router: any
 * body for {@code POST /api/publish}, {@code /api/broadcast}, {@code /api/private} and
 * {@code /api/disconnect} with a valid key. The first byte of an input picks the endpoint, the rest is the
 * body. Properties (docs/fuzzing.md): the answer is 200 with a JSON object or a 4xx with a JSON
 * {@code {"error","message"}}, never a 5xx; no exception leaves the pipeline; no buffer leaks.
 */
class ApiBodyFuzzTest {
    private static final SwitchboardConfig CONFIG = SwitchboardConfig.defaults();
    private static final List<String> ENDPOINTS = List.of("/api/publish", "/api/disconnect", "/api/broadcast",
            "/api/private");
    private static final Hub HUB = new Hub(CONFIG.core(), new MemoryHistoryStore(10, java.time.Duration.ofMinutes(1),
            TimeSource.SYSTEM), PreEncodedFrame.factory(UnpooledByteBufAllocator.DEFAULT), new JsonCodec(),
            TimeSource.SYSTEM, "fuzz", "fuzz");
    private static final MultiThreadIoEventLoopGroup WORKERS = new MultiThreadIoEventLoopGroup(1,
            LocalIoHandler.newFactory());
    private static final Observability OBSERVABILITY = new Observability(CONFIG, Instrumentation.defaults(), "fuzz");

    private static EmbeddedChannel channel() {
        HealthEndpoint health = new HealthEndpoint(HUB, WORKERS, "fuzz", () -> true, () -> false, new SlidingRate(10));
        ApiHandler api = new ApiHandler(HUB, List.of("key"), CONFIG.websocket().maxMessageBytes(),
                new ApiKeyThrottle(TimeSource.SYSTEM), OBSERVABILITY);
        return new EmbeddedChannel(new HttpRouter(CONFIG.websocket().path(), health, api, new StaticFiles(),
                (channel, req) -> HttpRouter.Admission.accept(Grants.withoutToken("x", RoomPatterns.of(List.of("*")))),
                (channel, req) -> HttpRouter.Admission.accept(Grants.withoutToken("x", RoomPatterns.of(List.of("*")))),
                (pipeline, grants) -> { }, Map.of(), Map.of(), OBSERVABILITY, new MetricsEndpoint(CONFIG.monitoring(), null)));
    }

    @FuzzTest
    void anyBodyIsAnswered200Or4xxNever5xx(byte[] input) throws Exception {
        if (input.length == 0) {
            return;
        }
        String endpoint = ENDPOINTS.get((input[0] & 0xFF) % ENDPOINTS.size());
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, endpoint,
                Unpooled.wrappedBuffer(Arrays.copyOfRange(input, 1, input.length)));
        req.headers().set("X-API-Key", "key").set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        EmbeddedChannel ch = channel();
        ch.writeInbound(req);
        ch.runPendingTasks();
        FullHttpResponse res = ch.readOutbound();
        assertThat(res).as("an answer to %s", endpoint).isNotNull();
        try {
            int status = res.status().code();
            assertThat(status).as("status for %s", endpoint).isLessThan(500);
            assertThat(status == 200 || (status >= 400 && status < 500)).as("status %d", status).isTrue();
            byte[] body = new byte[res.content().readableBytes()];
            res.content().readBytes(body);
            JsonNode json = HUB.codec().mapper().readTree(body);
            assertThat(json.isObject()).isTrue();
            if (status != 200) {
                assertThat(json.path("error").isTextual() && json.path("message").isTextual())
                        .as("error body %s", json).isTrue();
            }
        } finally {
            res.release();
        }
        assertThat(ch.<Object>readOutbound()).as("one answer per request").isNull();
        ch.finishAndReleaseAll();
    }
}
