package io.switchboard.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.core.presence.PresenceStore.Leave;
import io.switchboard.core.presence.PresenceStore.LostEntries;
import io.switchboard.core.presence.PresenceStore.RoomMember;
import io.switchboard.core.presence.PresenceStore.UserConnection;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.RedisServerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Lost nodes in Redis presence: found once their liveness expires, claimed by one survivor, reported once. */
class RedisLostNodesTest {
    private static final Duration TTL = Duration.ofMillis(600);
    private static final Duration WAIT = Duration.ofSeconds(15);

    private static RedisServerProcess redis;
    private final List<RedisPresenceStore> stores = new ArrayList<>();
    /** Unique per test: tests share one Redis. */
    private final String tag = UUID.randomUUID().toString().substring(0, 8);
    private final String dead = "dead-" + tag;
    private final String room = "lost:" + tag;

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
    void closeStores() throws Exception {
        stores.forEach(RedisPresenceStore::close);
        // Claims of other tests' nodes must not reach into the next test.
        redis.call("DEL", "test:presence:nodes", "test:presence:lost");
    }

    @Test
    void aNodeThatStopsRefreshingIsClaimedByExactlyOneSurvivorWithEverythingItHeld() throws Exception {
        RedisPresenceStore deadNode = store();
        RedisPresenceStore survivorA = store();
        RedisPresenceStore survivorB = store();
        Await.get(deadNode.connect("ann", "c-1", dead), WAIT);
        Await.get(deadNode.join(room, dead, "ann", "c-1", null), WAIT);
        Await.get(deadNode.join(room + "-b", dead, "ann", "c-1", null), WAIT);
        Await.get(deadNode.connect("bob", "c-2", dead), WAIT);
        Await.get(deadNode.join(room, dead, "bob", "c-2", null), WAIT);
        Await.get(deadNode.leave(room + "-b", dead, "c-1"), WAIT);
        Await.get(deadNode.leave(room, dead, "c-2"), WAIT);
        Await.get(deadNode.disconnect("bob", dead, "c-2"), WAIT);
        assertThat(Await.get(survivorA.claimLostNode("a", WAIT), WAIT)).as("alive for a ttl").isNull();

        List<String> claims = new ArrayList<>();
        Await.until("a survivor claims the dead node", WAIT, () -> {
            claims.add(answer(survivorA.claimLostNode("a", WAIT)));
            claims.add(answer(survivorB.claimLostNode("b", WAIT)));
            return claims.contains(dead);
        });
        assertThat(claims.stream().filter(c -> c != null).toList()).as("one claimer only").containsExactly(dead);
        assertThat(Await.get(survivorA.claimLostNode("a", WAIT), WAIT)).isNull();

        LostEntries entries = Await.get(survivorA.lostEntries(dead), WAIT);
        assertThat(entries.members()).containsExactly(new RoomMember(room, "ann", "c-1", null));
        assertThat(entries.connections()).containsExactly(new UserConnection("ann", "c-1", dead));
        Await.get(survivorA.join(room, "a", "cy", "c-3", null), WAIT);
        assertThat(Await.get(survivorA.leave(room, dead, "c-1"), WAIT))
                .as("the room keeps cy").isEqualTo(new Leave(true, false));
        assertThat(Await.get(survivorB.leave(room, dead, "c-1"), WAIT)).isEqualTo(new Leave(false, false));
        assertThat(Await.get(survivorA.disconnect("ann", dead, "c-1"), WAIT)).isTrue();
        assertThat(Await.get(survivorB.disconnect("ann", dead, "c-1"), WAIT)).isFalse();
        Await.get(survivorA.forgetLostNode(dead), WAIT);
        assertThat(Await.get(survivorA.lostEntries(dead), WAIT)).isEqualTo(new LostEntries(dead, List.of(), List.of()));
        assertThat(Await.get(survivorB.claimLostNode("b", WAIT), WAIT)).isNull();
    }

    @Test
    void theRemovalOfALostNodesLastMemberVacatesTheRoomEvenAfterAReadDroppedItsExpiredEntry() throws Exception {
        RedisPresenceStore deadNode = store();
        RedisPresenceStore survivor = store();
        assertThat(Await.get(deadNode.join(room, dead, "ann", "c-1", null), WAIT)).isTrue();
        Await.until("the entry expires", WAIT, () -> answer(survivor.members(room)).isEmpty());
        assertThat(Await.get(survivor.leave(room, dead, "c-1"), WAIT)).isEqualTo(new Leave(true, true));
        assertThat(Await.get(survivor.join(room, "s", "bob", "c-2", null), WAIT)).isTrue();
    }

    @Test
    void aClaimWhoseLeaseRanOutIsTakenOverAndANodeThatRefreshesIsNeverClaimed() throws Exception {
        RedisPresenceStore deadNode = store();
        RedisPresenceStore liveNode = store();
        RedisPresenceStore survivor = store();
        Await.get(deadNode.connect("ann", "c-1", dead), WAIT);
        Await.get(liveNode.connect("bob", "c-2", "live-" + tag), WAIT);
        Duration shortLease = Duration.ofMillis(200);
        List<String> claims = new ArrayList<>();
        Await.until("the dead node is claimed, and claimed again once the first claim ran out", WAIT, () -> {
            answer(liveNode.refresh("live-" + tag, List.of(), List.of()));
            claims.add(answer(survivor.claimLostNode(claims.contains(dead) ? "b" : "a", shortLease)));
            return claims.stream().filter(dead::equals).count() == 2;
        });
        assertThat(claims).as("never the live node").containsOnly(dead, null);
        Await.get(survivor.forgetLostNode(dead), WAIT);
        Await.get(liveNode.refresh("live-" + tag, List.of(), List.of()), WAIT);
        assertThat(Await.get(survivor.claimLostNode("b", shortLease), WAIT)).isNull();
    }

    @Test
    void aNodeThatRetiredIsNeverClaimed() throws Exception {
        RedisPresenceStore retiring = store();
        RedisPresenceStore survivor = store();
        Await.get(retiring.connect("ann", "c-1", dead), WAIT);
        Await.get(retiring.join(room, dead, "ann", "c-1", null), WAIT);
        // Its last leave and disconnect never landed; it reported them itself as it stopped.
        Await.get(retiring.retire(dead), WAIT);
        Await.until("its liveness would have run out", WAIT,
                () -> answer(survivor.members(room)).isEmpty());
        assertThat(Await.get(survivor.claimLostNode("s", WAIT), WAIT)).isNull();
        assertThat(Await.get(survivor.lostEntries(dead), WAIT)).isEqualTo(new LostEntries(dead, List.of(), List.of()));
    }

    /** For conditions polled by {@link Await#until}: each call is bounded by the command timeout. */
    private static <T> T answer(CompletionStage<T> stage) {
        return stage.toCompletableFuture().join();
    }

    private RedisPresenceStore store() {
        RedisPresenceStore store = new RedisPresenceStore(TestSettings.of(redis), Duration.ofSeconds(5), TTL);
        stores.add(store);
        return store;
    }
}
