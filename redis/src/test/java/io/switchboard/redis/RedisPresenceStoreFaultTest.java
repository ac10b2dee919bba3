package io.switchboard.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.core.presence.PresenceStore.RoomMember;
import io.switchboard.core.presence.PresenceStore.UserConnection;
import io.switchboard.protocol.ServerMessage.Member;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.RedisServerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Presence expiry: nodes that stop refreshing vanish, refreshed ones stay, dead clusters leave no keys. */
class RedisPresenceStoreFaultTest {
    private static final Duration TTL = Duration.ofSeconds(1);
    private static final Duration WAIT = Duration.ofSeconds(15);

    private static RedisServerProcess redis;
    private final List<RedisPresenceStore> stores = new ArrayList<>();

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServerProcess.start(false);
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @AfterEach
    void closeStores() {
        stores.forEach(RedisPresenceStore::close);
    }

    @Test
    void entriesOfANodeThatStopsRefreshingDisappearAfterTheTtlWhileRefreshedOnesStay() throws Exception {
        RedisPresenceStore nodeA = store(TTL);
        RedisPresenceStore nodeB = store(TTL);
        String room = "expiry:room";
        long t0 = System.nanoTime();
        Await.get(nodeA.join(room, "na", "ann", "c-a", null), WAIT);
        Await.get(nodeA.connect("ann", "c-a", "na"), WAIT);
        Await.get(nodeB.join(room, "nb", "bob", "c-b", null), WAIT);
        Await.get(nodeB.connect("bob", "c-b", "nb"), WAIT);
        assertThat(Await.get(nodeB.members(room), WAIT)).extracting(Member::connId).containsExactly("c-a", "c-b");

        // Node B refreshes every 250 ms; node A has died and never does.
        List<String> seen;
        do {
            Thread.sleep(250);
            Await.get(nodeB.refresh("nb", List.of(new RoomMember(room, "bob", "c-b", null)),
                    List.of(new UserConnection("bob", "c-b", "nb"))), WAIT);
            seen = Await.get(nodeB.members(room), WAIT).stream().map(Member::connId).toList();
            assertThat(seen).as("a refreshed entry stays").contains("c-b");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("A expires within the ttl and some").isLessThan(WAIT);
        } while (seen.contains("c-a"));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("A lived out its ttl").isGreaterThanOrEqualTo(TTL);

        assertThat(Await.get(nodeB.connections("ann"), WAIT)).isEmpty();
        assertThat(Await.get(nodeB.connections("bob"), WAIT)).containsExactly(new UserConnection("bob", "c-b", "nb"));
        Thread.sleep(TTL.toMillis() / 2);
        assertThat(Await.get(nodeA.members(room), WAIT)).extracting(Member::connId).containsExactly("c-b");
    }

    @Test
    void aRefreshListedBeforeALeaveDoesNotBringTheMemberBackSoTheRoomIsVacated() throws Exception {
        RedisPresenceStore node = store(TTL);
        String room = "stale:room";
        List<RoomMember> listed = List.of(new RoomMember(room, "ann", "c-1", null));
        assertThat(Await.get(node.join(room, "n-stale", "ann", "c-1", null), WAIT)).isTrue();
        Await.get(node.refresh("n-stale", listed, List.of()), WAIT);
        assertThat(Await.get(node.leave(room, "n-stale", "c-1"), WAIT).vacated()).isTrue();
        Await.get(node.refresh("n-stale", listed, List.of()), WAIT);
        assertThat(Await.get(node.members(room), WAIT)).isEmpty();
        assertThat(Await.get(node.join(room, "n-stale", "bob", "c-2", null), WAIT)).as("occupied anew").isTrue();
    }

    @Test
    void aClusterThatIsGoneEntirelyLeavesNoKeysBehind() throws Exception {
        RedisPresenceStore node = store(Duration.ofMillis(500));
        Await.get(node.join("gone:room", "n", "zed", "c-z", null), WAIT);
        Await.get(node.connect("zed", "c-z", "n"), WAIT);
        List<String> keys = List.of("test:presence:room:{gone:room}:exp", "test:presence:room:{gone:room}:members",
                "test:presence:room:{gone:room}:occupied", "test:presence:user:{zed}:exp",
                "test:presence:user:{zed}:nodes", "test:presence:node:{n}:members", "test:presence:node:{n}:conns");
        for (String key : keys) {
            assertThat(redis.call("EXISTS", key)).as(key).isEqualTo(":1");
        }
        Await.until("every key expires", WAIT, () -> keys.stream().allMatch(k -> exists(k).equals(":0")));
    }

    @Test
    void refreshOfThousandsOfEntriesTakesOneScriptCallPerRoomAndPerFiveHundredUserEntriesAndOneForTheNode()
            throws Exception {
        RedisPresenceStore node = store(Duration.ofMinutes(1));
        List<RoomMember> members = new ArrayList<>();
        List<UserConnection> connections = new ArrayList<>();
        int rooms = 20;
        int users = 500;
        for (int i = 0; i < 5000; i++) {
            String user = "bulk-u" + (i % users);
            members.add(new RoomMember("bulk:room" + (i % rooms), user, "c-" + i, null));
            connections.add(new UserConnection(user, "c-" + i, "n1"));
        }
        Await.get(node.members("bulk:warm-up"), WAIT);
        assertThat(redis.call("CONFIG", "RESETSTAT")).isEqualTo("+OK");

        long t0 = System.nanoTime();
        Await.get(node.refresh("n1", members, connections), WAIT);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);

        assertThat(evalshaCalls()).isEqualTo(rooms + 5000 / RedisPresenceStore.REFRESH_CHUNK + 1);
        assertThat(took).as("10,000 entries, pipelined").isLessThan(Duration.ofSeconds(5));
        assertThat(Await.get(node.members("bulk:room7"), WAIT)).hasSize(5000 / rooms);
        assertThat(Await.get(node.connections("bulk-u42"), WAIT)).hasSize(5000 / users);
        assertThat(Await.get(node.connections("bulk-u499"), WAIT)).as("the last user of the last call")
                .hasSize(5000 / users);
        assertThat(ttlMillis("test:presence:user:{bulk-u0}:exp")).as("keys expire a ttl after the refresh")
                .isBetween(50_000L, 60_000L);
    }

    private RedisPresenceStore store(Duration ttl) throws Exception {
        RedisPresenceStore store = new RedisPresenceStore(TestSettings.of(redis), Duration.ofSeconds(5), ttl);
        stores.add(store);
        return store;
    }

    private static String exists(String key) {
        try {
            return redis.call("EXISTS", key);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long ttlMillis(String key) throws Exception {
        return Long.parseLong(redis.call("PTTL", key).substring(1));
    }

    private static long evalshaCalls() throws Exception {
        Matcher m = Pattern.compile("cmdstat_evalsha:calls=(\\d+)").matcher(redis.call("INFO", "commandstats"));
        assertThat(m.find()).as("EVALSHA in INFO commandstats").isTrue();
        return Long.parseLong(m.group(1));
    }
}
