package io.switchboard.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.testkit.Await;
import io.switchboard.testkit.RedisClusterProcess;
import io.switchboard.testkit.RedisServerProcess;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The sharded-pub/sub broker against a three-master Redis Cluster whose masters cut its subscriptions. */
class RedisClusterBrokerFaultTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final Duration WAIT = Duration.ofSeconds(30);

    private RedisClusterProcess redis;
    private final List<RedisClusterBroker> brokers = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        brokers.forEach(RedisClusterBroker::close);
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void subscriptionsKilledOnEveryMasterAreRestoredAndReportedAndReceiveAgain() throws Exception {
        redis = RedisClusterProcess.start(3, 0, Duration.ofSeconds(5));
        // A channel on each master (the broker's channel c is the shard channel "test:" + c).
        Map<Integer, String> channelByMaster = new LinkedHashMap<>();
        for (int i = 0; channelByMaster.size() < 3 && i < 1000; i++) {
            channelByMaster.putIfAbsent(redis.masterOf("test:room.k" + i).port(), "room.k" + i);
        }
        assertThat(channelByMaster).hasSize(3);
        RecordingListener inB = new RecordingListener();
        RedisClusterBroker b = started(inB);
        for (String channel : channelByMaster.values()) {
            Await.get(b.subscribe(channel), WAIT);
        }
        RedisClusterBroker a = started(new RecordingListener());
        Await.until("b's probe came back from every master", WAIT, b::isConnected);

        for (RedisServerProcess master : redis.masters()) {
            assertThat(master.call("CLIENT", "KILL", "TYPE", "pubsub")).as("clients killed").isNotEqualTo(":0");
        }
        Await.until("b reports the reconnect", WAIT, () -> inB.reconnects.get() >= 1);
        Await.until("b is connected again", WAIT, b::isConnected);
        Set<String> expected = new HashSet<>();
        for (String channel : channelByMaster.values()) {
            Await.get(a.publish(channel, "after".getBytes(StandardCharsets.UTF_8)), WAIT);
            expected.add(channel + "=after");
        }
        Set<String> received = new HashSet<>();
        for (int i = 0; i < expected.size(); i++) {
            received.add(inB.next(WAIT));
        }
        assertThat(received).as("one message from each master").isEqualTo(expected);
    }

    private RedisClusterBroker started(RecordingListener listener) throws Exception {
        RedisClusterBroker broker = new RedisClusterBroker(TestSettings.of(redis).toBuilder()
                .probeInterval(Duration.ofMillis(200)).probeTimeout(Duration.ofSeconds(2)).build(), TIMEOUT);
        brokers.add(broker);
        Await.get(broker.start(listener), WAIT);
        return broker;
    }
}
