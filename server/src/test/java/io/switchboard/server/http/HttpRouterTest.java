package io.switchboard.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The router on its own: answers, refusals and the hand-over of an admitted upgrade. */
class HttpRouterTest {
    private static final SwitchboardConfig CONFIG = SwitchboardConfig.defaults();
    private final Hub hub = new Hub(CONFIG.core(), new MemoryHistoryStore(10, Duration.ofMinutes(1), TimeSource.SYSTEM),
            PreEncodedFrame.factory(UnpooledByteBufAllocator.DEFAULT), new JsonCodec(), TimeSource.SYSTEM, "t", "t");
    private final MultiThreadIoEventLoopGroup workers = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    private final Observability observability = new Observability(CONFIG, Instrumentation.defaults(), "t");
    private final List<Grants> installed = new ArrayList<>();
    private HttpRouter.Admission admission = HttpRouter.Admission.accept(
            Grants.withoutToken("alice", RoomPatterns.of(List.of("*"))));

    @AfterEach
    void close() {
        observability.close();
        workers.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
        hub.close();
    }

    private EmbeddedChannel channel() {
        HealthEndpoint health = new HealthEndpoint(hub, workers, "t", () -> true, () -> false, new SlidingRate(10));
        ApiHandler api = new ApiHandler(hub, List.of("key"), 1024, new ApiKeyThrottle(TimeSource.SYSTEM),
                observability);
        return new EmbeddedChannel(new HttpRouter(CONFIG.websocket().path(), health, api, new StaticFiles(),
                (channel, req) -> admission, (channel, req) -> admission, (pipeline, grants) -> installed.add(grants),
                Map.of(), Map.of(), observability,
                new MetricsEndpoint(CONFIG.monitoring(), null)));
    }

    private static FullHttpRequest get(String uri) {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    }

    private static FullHttpRequest upgrade(String version) {
        FullHttpRequest req = get(CONFIG.websocket().path());
        req.headers().set(HttpHeaderNames.UPGRADE, "websocket").set(HttpHeaderNames.CONNECTION, "Upgrade")
                .set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, version)
                .set(HttpHeaderNames.SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ==");
        return req;
    }

    private static FullHttpResponse answer(EmbeddedChannel ch) {
        FullHttpResponse res = ch.readOutbound();
        assertThat(res).isNotNull();
        return res;
    }

    @Test
    void aPathWithNothingBehindItIsAnswered404AndTheConnectionStays() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(get("/nope"));
        FullHttpResponse res = answer(ch);
        assertThat(res.status()).isEqualTo(HttpResponseStatus.NOT_FOUND);
        assertThat(res.content().toString(StandardCharsets.UTF_8)).isEqualTo("not found\n");
        res.release();
        assertThat(ch.isOpen()).isTrue();
        assertFalse(ch.finish());
    }

    @Test
    void malformedPercentEncodingIsAnswered400AndClosed() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(get("/api/rooms/%zz"));
        FullHttpResponse res = answer(ch);
        assertThat(res.status()).isEqualTo(HttpResponseStatus.BAD_REQUEST);
        res.release();
        assertThat(ch.isOpen()).isFalse();
        assertFalse(ch.finish());
    }

    @Test
    void anUpgradeOfAnotherWebSocketVersionIsAnswered426() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(upgrade("8"));
        FullHttpResponse res = answer(ch);
        assertThat(res.status()).isEqualTo(HttpResponseStatus.UPGRADE_REQUIRED);
        assertThat(res.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION)).isEqualTo("13");
        res.release();
        assertThat(installed).isEmpty();
        assertFalse(ch.finish());
    }

    @Test
    void anUpgradeTheAdmissionRefusesIsAnsweredWithItsStatusAndClosed() {
        admission = HttpRouter.Admission.refuse(HttpResponseStatus.FORBIDDEN, "origin not allowed");
        EmbeddedChannel ch = channel();
        ch.writeInbound(upgrade("13"));
        FullHttpResponse res = answer(ch);
        assertThat(res.status()).isEqualTo(HttpResponseStatus.FORBIDDEN);
        assertThat(res.content().toString(StandardCharsets.UTF_8)).isEqualTo("origin not allowed\n");
        res.release();
        assertThat(installed).isEmpty();
        assertThat(ch.isOpen()).isFalse();
        assertFalse(ch.finish());
    }

    @Test
    void anAdmittedUpgradeHasItsStagesInstalledAndTheRequestPassedOnToThem() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(upgrade("13"));
        assertThat(installed).extracting(Grants::userId).containsExactly("alice");
        FullHttpRequest passed = ch.readInbound();
        assertThat(passed.uri()).isEqualTo(CONFIG.websocket().path());
        passed.release();
        Object none = ch.readOutbound();
        assertThat(none).isNull();
        assertFalse(ch.finish());
    }
}
