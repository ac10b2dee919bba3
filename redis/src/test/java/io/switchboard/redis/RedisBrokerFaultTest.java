package io.switchboard.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisCommandTimeoutException;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.RedisServerProcess;
import io.switchboard.testkit.TcpProxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The broker against a Redis that dies, freezes, or is not there yet: one redis-server per test. */
class RedisBrokerFaultTest {
    private static final Duration TIMEOUT = Duration.ofMillis(500);
    private static final Duration WAIT = Duration.ofSeconds(15);

    private RedisServerProcess redis;
    private final List<RedisBroker> brokers = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        brokers.forEach(RedisBroker::close);
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void restoresSubscriptionsAndReportsTheReconnectAfterRedisIsKilledAndRestarted() throws Exception {
        redis = RedisServerProcess.start(false);
        RecordingListener inA = new RecordingListener();
        RecordingListener inB = new RecordingListener();
        RedisBroker a = started(inA);
        RedisBroker b = started(inB);
        Await.get(b.subscribe("room.x"), WAIT);
        Await.get(a.publish("room.x", bytes("before")), WAIT);
        assertThat(inB.next(WAIT)).isEqualTo("room.x=before");

        redis.kill9();
        Await.until("both brokers notice the lost connection", WAIT, () -> !a.isConnected() && !b.isConnected());
        long t0 = System.nanoTime();
        CompletableFuture<Void> lost = a.publish("room.x", bytes("lost")).toCompletableFuture();
        assertThatThrownBy(() -> lost.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                .as("a publish without a connection fails at once instead of queueing")
                .isInstanceOf(ExecutionException.class);
        assertThat(elapsedMillis(t0)).isLessThan(TIMEOUT.toMillis());
        assertThat(inB.reconnects).hasValue(0);

        redis.restart();
        Await.until("b reports the reconnect", WAIT, () -> inB.reconnects.get() >= 1);
        Await.succeeds("a publishes again", WAIT, () -> a.publish("room.x", bytes("after")));
        assertThat(inB.next(WAIT)).as("the subscription from before the crash is live again").isEqualTo("room.x=after");
        Await.until("both report connected", WAIT, () -> a.isConnected() && b.isConnected());
    }

    @Test
    void failsCommandsWithinTwiceTheTimeoutWhileRedisIsFrozenAndRecoversWhenItThaws() throws Exception {
        redis = RedisServerProcess.start(false);
        RecordingListener inB = new RecordingListener();
        RedisBroker a = started(new RecordingListener());
        RedisBroker b = started(inB);
        Await.get(b.subscribe("room.y"), WAIT);

        redis.stop();
        try {
            long t0 = System.nanoTime();
            CompletableFuture<Void> frozen = a.publish("room.y", bytes("frozen")).toCompletableFuture();
            assertThatThrownBy(() -> frozen.get(2 * TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(RedisCommandTimeoutException.class);
            assertThat(elapsedMillis(t0)).isLessThan(2 * TIMEOUT.toMillis());
            assertThat(a.isConnected()).as("a broker whose command timed out reports itself down").isFalse();
        } finally {
            redis.cont();
        }
        Await.until("the probe finds Redis answering again", WAIT, a::isConnected);
        // The timed-out PUBLISH was still on the wire and may be delivered after all: skip it.
        Await.get(a.publish("room.y", bytes("thawed")), WAIT);
        inB.awaitMessage("room.y=thawed", WAIT);
        assertThat(inB.reconnects).as("the sockets never closed").hasValue(0);
    }

    @Test
    void startCompletesOnceRedisComesUp() throws Exception {
        redis = RedisServerProcess.create(false);
        RecordingListener inB = new RecordingListener();
        RedisBroker b = new RedisBroker(TestSettings.of(redis), TIMEOUT);
        brokers.add(b);
        CompletableFuture<Void> started = b.start(inB).toCompletableFuture();
        CompletableFuture<Void> early = b.subscribe("room.z").toCompletableFuture();
        assertThatThrownBy(() -> started.get(3 * TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                .isInstanceOf(TimeoutException.class);
        assertThat(b.isConnected()).isFalse();
        assertThat(early).as("a subscribe before the first connection waits for it, up to the timeout")
                .isCompletedExceptionally();

        redis.restart();
        Await.get(started, WAIT);
        assertThat(b.isConnected()).isTrue();
        RedisBroker a = started(new RecordingListener());
        Await.get(a.publish("room.z", bytes("held")), WAIT);
        assertThat(inB.next(WAIT)).as("the channel subscribed before Redis was up").isEqualTo("room.z=held");
        assertThat(inB.reconnects).hasValue(0);
    }

    @Test
    void closeBeforeRedisIsReachableEndsTheRetries() throws Exception {
        redis = RedisServerProcess.create(false);
        RedisBroker b = new RedisBroker(TestSettings.of(redis), TIMEOUT);
        CompletableFuture<Void> started = b.start(new RecordingListener()).toCompletableFuture();
        b.close();
        assertThatThrownBy(() -> started.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        b.close();
    }

    @Test
    void aSubscriptionThatGoesSilentIsCaughtByTheProbeAndRenewedOnAFreshConnection() throws Exception {
        redis = RedisServerProcess.start(false);
        try (TcpProxy proxy = new TcpProxy(redis.port())) {
            RecordingListener inB = new RecordingListener();
            RedisBroker b = new RedisBroker(TestSettings.of(redis).toBuilder().port(proxy.port())
                    .probeInterval(Duration.ofMillis(200)).probeTimeout(Duration.ofSeconds(1)).build(), TIMEOUT);
            brokers.add(b);
            Await.get(b.start(inB), WAIT);
            Await.get(b.subscribe("room.p"), WAIT);
            RedisBroker a = started(new RecordingListener());
            Await.get(a.publish("room.p", bytes("before")), WAIT);
            assertThat(inB.next(WAIT)).isEqualTo("room.p=before");
            assertThat(proxy.accepted()).as("b's subscribed connection, then its publishing one").isEqualTo(2);

            proxy.freezeConnection(0); // the socket stays open, nothing arrives: no error anywhere
            Await.get(a.publish("room.p", bytes("silent")), WAIT);
            Await.until("the probe reports b down", WAIT, () -> !b.isConnected());
            Await.until("b renews its subscription and reports the reconnect", WAIT, () -> inB.reconnects.get() == 1);
            Await.until("the probe comes back on the fresh connection", WAIT, b::isConnected);
            assertThat(b.probesMissed()).isGreaterThanOrEqualTo(1);

            proxy.thaw(); // whatever the old connection held must not arrive twice or late
            Await.get(a.publish("room.p", bytes("after")), WAIT);
            assertThat(inB.next(WAIT)).as("the silent message is lost (the reconnect says so), nothing else")
                    .isEqualTo("room.p=after");
        }
    }

    @Test
    void aSubscriptionKilledByRedisIsRestoredAndReported() throws Exception {
        redis = RedisServerProcess.start(false);
        RecordingListener inB = new RecordingListener();
        RedisBroker b = started(inB);
        Await.get(b.subscribe("room.k"), WAIT);
        RedisBroker a = started(new RecordingListener());

        assertThat(redis.call("CLIENT", "KILL", "TYPE", "pubsub")).as("clients killed").isNotEqualTo(":0");
        Await.until("b reports the reconnect", WAIT, () -> inB.reconnects.get() == 1);
        Await.until("b is connected again", WAIT, b::isConnected);
        Await.get(a.publish("room.k", bytes("after")), WAIT);
        assertThat(inB.next(WAIT)).isEqualTo("room.k=after");
    }

    @Test
    void connectsAsAnAclUserAndNotWithTheWrongPassword() throws Exception {
        redis = RedisServerProcess.start(false);
        assertThat(redis.call("ACL", "SETUSER", "app", "on", ">s3cret", "~*", "&*", "+@all")).isEqualTo("+OK");
        assertThat(redis.call("ACL", "SETUSER", "default", "off")).isEqualTo("+OK");
        RecordingListener inB = new RecordingListener();
        RedisBroker b = new RedisBroker(TestSettings.of(redis).toBuilder().username("app").password("s3cret").build(),
                TIMEOUT);
        brokers.add(b);
        Await.get(b.start(inB), WAIT);
        Await.get(b.subscribe("room.acl"), WAIT);
        Await.get(b.publish("room.acl", bytes("as app")), WAIT);
        assertThat(inB.next(WAIT)).isEqualTo("room.acl=as app");

        RedisBroker wrong = new RedisBroker(TestSettings.of(redis).toBuilder().username("app").password("nope").build(),
                TIMEOUT);
        brokers.add(wrong);
        CompletableFuture<Void> refused = wrong.start(new RecordingListener()).toCompletableFuture();
        assertThatThrownBy(() -> refused.get(3 * TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                .as("a refused login keeps retrying in the background instead of starting")
                .isInstanceOf(TimeoutException.class);
        assertThat(wrong.isConnected()).isFalse();
    }

    private RedisBroker started(RecordingListener listener) throws Exception {
        RedisBroker broker = new RedisBroker(TestSettings.of(redis), TIMEOUT);
        brokers.add(broker);
        Await.get(broker.start(listener), WAIT);
        return broker;
    }

    private static long elapsedMillis(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
