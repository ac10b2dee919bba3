package io.switchboard.core.hub;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.HubException;
import io.switchboard.core.broker.MemoryBroker;
import io.switchboard.core.config.CoreConfig;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.core.hooks.LifecycleEvent;
import io.switchboard.core.hooks.LifecycleEvent.Type;
import io.switchboard.core.hooks.LifecycleHooks;
import io.switchboard.core.hub.Fakes.CountingFrames;
import io.switchboard.core.hub.Fakes.ManualExecutor;
import io.switchboard.core.hub.Fakes.ManualTime;
import io.switchboard.core.hub.Fakes.RecordingSession;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.core.presence.MemoryPresenceStore;
import io.switchboard.core.presence.PresenceStore;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ServerMessage.Member;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/** How a survivor reports the connections of a lost node: what the store hands it, once, in order. */
class HubLostNodesTest {
    private final ManualTime time = new ManualTime();
    private final ManualExecutor loop = new ManualExecutor();
    private final List<LifecycleEvent> events = new ArrayList<>();
    private final LosingStore store = new LosingStore();

    /**
     * Memory presence shared by the nodes, which also keeps what each node holds and hands out the lost nodes the
     * test names, as a shared store would once their entries expired.
     */
    private static final class LosingStore implements PresenceStore {
        final MemoryPresenceStore shared = new MemoryPresenceStore();
        final Map<String, RoomMember> members = new LinkedHashMap<>();
        final Map<String, UserConnection> connections = new LinkedHashMap<>();
        final Deque<String> lost = new ArrayDeque<>();

        @Override
        public CompletionStage<Boolean> join(String room, String nodeId, String userId, String connId, JsonNode info) {
            members.put(nodeId + "/" + connId + "/" + room, new RoomMember(room, userId, connId, null));
            return shared.join(room, nodeId, userId, connId, info);
        }

        @Override
        public CompletionStage<Leave> leave(String room, String nodeId, String connId) {
            boolean held = members.remove(nodeId + "/" + connId + "/" + room) != null;
            return shared.leave(room, nodeId, connId).thenApply(l -> new Leave(held, l.vacated()));
        }

        @Override
        public CompletionStage<List<Member>> members(String room) {
            return shared.members(room);
        }

        @Override
        public CompletionStage<Void> connect(String userId, String connId, String nodeId) {
            connections.put(nodeId + "/" + connId, new UserConnection(userId, connId, nodeId));
            return shared.connect(userId, connId, nodeId);
        }

        @Override
        public CompletionStage<Boolean> disconnect(String userId, String nodeId, String connId) {
            boolean held = connections.remove(nodeId + "/" + connId) != null;
            return shared.disconnect(userId, nodeId, connId).thenApply(r -> held);
        }

        @Override
        public CompletionStage<List<UserConnection>> connections(String userId) {
            return shared.connections(userId);
        }

        @Override
        public CompletionStage<Void> refresh(String nodeId, Collection<RoomMember> members,
                                             Collection<UserConnection> users) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<String> claimLostNode(String claimer, Duration lease) {
            return CompletableFuture.completedFuture(lost.poll());
        }

        @Override
        public CompletionStage<LostEntries> lostEntries(String nodeId) {
            List<RoomMember> m = new ArrayList<>();
            members.forEach((k, v) -> {
                if (k.startsWith(nodeId + "/")) {
                    m.add(v);
                }
            });
            List<UserConnection> c = connections.values().stream().filter(u -> u.nodeId().equals(nodeId)).toList();
            return CompletableFuture.completedFuture(new LostEntries(nodeId, m, c));
        }
    }

    private Hub hub(String nodeId) {
        CoreConfig config = CoreConfig.defaults();
        LifecycleHooks hooks = new LifecycleHooks() {
            @Override
            public boolean wants(Type type) {
                return true;
            }

            @Override
            public void emit(LifecycleEvent event) {
                events.add(event);
            }
        };
        return new Hub(config, new Hub.Backends(new MemoryHistoryStore(config.history().size(),
                config.history().ttl(), time), new MemoryBroker(), store, null, null), new CountingFrames(),
                new JsonCodec(), time, nodeId, "test", HubMetrics.NOOP, null, hooks);
    }

    private static void join(Hub hub, Connection c, String room) throws HubException {
        hub.join(c, room, null, new JoinCallback() {
            @Override
            public void joined(JoinResult r) {
            }

            @Override
            public void failed(HubException e) {
                throw new AssertionError(e);
            }
        });
    }

    private List<String> reported() {
        return events.stream().map(e -> e.type().wireName() + " " + e.userId()
                + (e.room() == null ? "" : " " + e.room())
                + " (" + e.reason() + ", " + e.node() + ")").toList();
    }

    @Test
    void aSurvivorReportsEachConnectionOfALostNodeOnceLeavesFirstAndVacatesTheRoomsItEmptied() throws Exception {
        Hub survivor = hub("n1");
        Hub doomed = hub("n2");
        Connection alice = survivor.register(new RecordingSession(), "alice", survivor.shard(loop));
        Connection bob = doomed.register(new RecordingSession(), "bob", doomed.shard(loop));
        Connection carol = doomed.register(new RecordingSession(), "carol", doomed.shard(loop));
        join(survivor, alice, "r");
        join(doomed, bob, "r");
        join(doomed, bob, "s");
        join(doomed, carol, "s");
        events.clear();

        // n2 is lost; the claim is handed out twice, as when a claimer died and another took it over.
        store.lost.add("n2");
        store.lost.add("n2");
        assertThat(survivor.sweepLostNodes().toCompletableFuture().join()).isEqualTo(2);

        assertThat(reported()).containsExactly("leave bob r (node_lost, n2)", "leave bob s (node_lost, n2)",
                "leave carol s (node_lost, n2)", "vacated carol s (node_lost, n2)", "disconnect bob (node_lost, n2)",
                "disconnect carol (node_lost, n2)");
        assertThat(events).allSatisfy(e -> assertThat(e.id()).startsWith("n1-"));
        assertThat(store.members("r").toCompletableFuture().join()).extracting(Member::userId)
                .containsExactly("alice");
        assertThat(store.members("s").toCompletableFuture().join()).isEmpty();
        assertThat(survivor.sweepLostNodes().toCompletableFuture().join()).isZero();
    }
}
