package io.switchboard.core.hub;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.core.DisconnectReason;
import io.switchboard.core.HubException;
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
import io.switchboard.protocol.JsonCodec;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What the hub tells its lifecycle hooks, and in which order. */
class HubHooksTest {
    private final ManualTime time = new ManualTime();
    private final ManualExecutor loop1 = new ManualExecutor();
    private final ManualExecutor loop2 = new ManualExecutor();
    private final List<LifecycleEvent> events = new ArrayList<>();

    private Hub hub(Set<Type> wanted) {
        CoreConfig config = CoreConfig.defaults();
        LifecycleHooks hooks = new LifecycleHooks() {
            @Override
            public boolean wants(Type type) {
                return wanted.contains(type);
            }

            @Override
            public void emit(LifecycleEvent event) {
                assertThat(wanted).as("only wanted types are built").contains(event.type());
                events.add(event);
            }
        };
        return new Hub(config, Hub.Backends.memory(new MemoryHistoryStore(config.history().size(),
                config.history().ttl(), time)), new CountingFrames(), new JsonCodec(), time, "n1", "test",
                HubMetrics.NOOP, null, hooks);
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

    private List<String> described() {
        return events.stream().map(e -> e.type().wireName() + " " + e.connId().substring(e.connId().length() - 1)
                + (e.room() == null ? "" : " " + e.room()) + (e.reason() == null ? "" : " (" + e.reason() + ")"))
                .toList();
    }

    @Test
    void membersOnTwoShardsMakeOneOccupiedAndOneVacatedAndADisconnectLeavesFirst() throws HubException {
        Hub hub = hub(EnumSet.allOf(Type.class));
        Connection a = hub.register(new RecordingSession(), "alice", hub.shard(loop1));
        Connection b = hub.register(new RecordingSession(), "bob", hub.shard(loop2));
        join(hub, a, "r");
        join(hub, b, "r");
        hub.publish(b, "r", "hi", null, false);
        hub.leave(a, "r");
        hub.disconnect(b, DisconnectReason.HEARTBEAT_TIMEOUT);
        join(hub, a, "r");

        assertThat(described()).containsExactly("connect 1", "connect 2", "join 1 r", "occupied 1 r", "join 2 r",
                "publish 2 r", "leave 1 r", "leave 2 r (heartbeat_timeout)", "vacated 2 r (heartbeat_timeout)",
                "disconnect 2 (heartbeat_timeout)", "join 1 r", "occupied 1 r");
        assertThat(events).extracting(LifecycleEvent::id).doesNotHaveDuplicates()
                .allSatisfy(id -> assertThat(id).startsWith("n1-"));
        assertThat(events).allSatisfy(e -> assertThat(e.node()).isEqualTo("n1"));
        assertThat(events.get(2).userId()).isEqualTo("alice");
        hub.close();
    }

    @Test
    void typesNotWantedAreNeitherBuiltNorSent() throws HubException {
        Hub hub = hub(EnumSet.of(Type.OCCUPIED, Type.VACATED));
        Connection a = hub.register(new RecordingSession(), "alice", hub.shard(loop1));
        join(hub, a, "r");
        hub.publish(a, "r", "hi", null, false);
        hub.disconnect(a, DisconnectReason.CLIENT_CLOSE);

        assertThat(described()).containsExactly("occupied 1 r", "vacated 1 r (client_close)");
        hub.close();
    }
}
