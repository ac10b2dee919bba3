package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.server.observability.Instrumentation;
import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.TimeSource;
import io.switchboard.core.broker.MemoryBroker;
import io.switchboard.core.history.MemoryHistoryStore;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.presence.MemoryPresenceStore;
import io.switchboard.testkit.LeakDetection;
import io.switchboard.core.broker.MemoryBroker;
import io.switchboard.core.presence.MemoryPresenceStore;
import io.switchboard.server.config.Server;
import io.switchboard.server.config.SwitchboardConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two nodes in one process sharing an in-memory broker bus, history and presence: the hub's cluster
 * routing (rooms, presence, private messages, broadcasts, notices, recovery, kicks) over real sockets,
 * without Redis. The Redis and NATS tests run the same routing over the real brokers.
 */
@ExtendWith(LeakDetection.class)
class InProcessClusterTest {
    private final List<SwitchboardServer> nodes = new ArrayList<>();
    private int port1;
    private int port2;

    @BeforeEach
    void startTwoNodes() {
        MemoryBroker.Bus bus = new MemoryBroker.Bus();
        SwitchboardConfig base = TestServers.config();
        MemoryHistoryStore history = new MemoryHistoryStore(base.history().size(), base.history().ttl(),
                TimeSource.SYSTEM);
        MemoryPresenceStore presence = new MemoryPresenceStore();
        for (String node : List.of("n1", "n2")) {
            SwitchboardConfig config = base.toBuilder()
                    .server(base.server().toBuilder().port(0).ioThreads(1).nodeId(node).build()).build();
            nodes.add(SwitchboardServer.start(config, Instrumentation.defaults(),
                    new Hub.Backends(history, bus.broker(), presence, null, null)));
        }
        port1 = nodes.get(0).port();
        port2 = nodes.get(1).port();
    }

    @AfterEach
    void stop() {
        nodes.forEach(SwitchboardServer::close);
    }

    private static JsonNode join(WsClient c, String room) {
        c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\"}");
        return c.next("room_joined");
    }

    @Test
    void roomMembersOnBothNodesGetEveryMessageOnceInOffsetOrder() {
        try (WsClient alice = WsClient.welcomed(port1, "alice"); WsClient bob = WsClient.welcomed(port2, "bob");
             WsClient carol = WsClient.welcomed(port2, "carol")) {
            join(alice, "r");
            join(bob, "r");
            JsonNode joined = join(carol, "r");
            assertThat(joined.path("members")).extracting(m -> m.path("userId").asText())
                    .containsExactly("alice", "bob", "carol");
            alice.nextOfType("user_joined_room");
            alice.nextOfType("user_joined_room");
            for (int i = 1; i <= 50; i++) {
                alice.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"m" + i + "\"}");
            }
            for (WsClient member : List.of(bob, carol)) {
                for (int i = 1; i <= 50; i++) {
                    JsonNode m = member.nextOfType("room_message");
                    assertThat(m.path("offset").asLong()).isEqualTo(i);
                    assertThat(m.path("content").asText()).isEqualTo("m" + i);
                    assertThat(m.path("from").asText()).isEqualTo("alice");
                }
            }
            bob.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"from bob\",\"id\":7}");
            assertThat(bob.nextOfType("ack").path("offset").asLong()).isEqualTo(51);
            assertThat(carol.nextOfType("room_message").path("content").asText()).isEqualTo("from bob");
            JsonNode fromBob = alice.nextOfType("room_message");
            assertThat(fromBob.path("offset").asLong()).as("alice got none of her own").isEqualTo(51);
            alice.assertNoMessage(200);
        }
    }

    @Test
    void presenceListsTheMembersOfEveryNode() {
        try (WsClient alice = WsClient.welcomed(port1, "alice"); WsClient bob = WsClient.welcomed(port2, "bob")) {
            join(alice, "r");
            join(bob, "r");
            assertThat(alice.nextOfType("user_joined_room").path("userId").asText()).isEqualTo("bob");
            alice.send("{\"type\":\"presence\",\"room\":\"r\"}");
            JsonNode p = alice.nextOfType("presence");
            assertThat(p.path("count").asInt()).isEqualTo(2);
            assertThat(p.path("members")).extracting(m -> m.path("userId").asText()).containsExactly("alice", "bob");
            bob.send("{\"type\":\"leave_room\",\"room\":\"r\"}");
            bob.nextOfType("room_left");
            assertThat(alice.nextOfType("user_left_room").path("userId").asText()).isEqualTo("bob");
            alice.send("{\"type\":\"presence\",\"room\":\"r\"}");
            assertThat(alice.nextOfType("presence").path("count").asInt()).isEqualTo(1);
        }
    }

    @Test
    void privateMessagesAndBroadcastsCrossNodes() {
        try (WsClient alice = WsClient.welcomed(port1, "alice"); WsClient bob1 = WsClient.welcomed(port1, "bob");
             WsClient bob2 = WsClient.welcomed(port2, "bob"); WsClient carol = WsClient.welcomed(port2, "carol")) {
            alice.send("{\"type\":\"private_message\",\"to\":\"bob\",\"content\":\"psst\",\"id\":1}");
            alice.next("ack");
            assertThat(bob1.nextOfType("private_message").path("content").asText()).isEqualTo("psst");
            assertThat(bob2.nextOfType("private_message").path("content").asText()).isEqualTo("psst");
            alice.send("{\"type\":\"private_message\",\"to\":\"nobody\",\"content\":\"x\",\"id\":2}");
            assertThat(alice.next("error").path("code").asText()).isEqualTo("user_not_found");

            carol.send("{\"type\":\"broadcast\",\"content\":\"hello all\"}");
            for (WsClient c : List.of(alice, bob1, bob2)) {
                assertThat(c.nextOfType("broadcast").path("content").asText()).isEqualTo("hello all");
            }
            carol.assertNoMessage(200);
        }
    }

    @Test
    void aClientThatMovesToTheOtherNodeRecoversWhatItMissed() {
        String epoch;
        long seen;
        try (WsClient alice = WsClient.welcomed(port1, "alice")) {
            JsonNode joined = join(alice, "r");
            epoch = joined.path("epoch").asText();
            try (WsClient bob = WsClient.welcomed(port2, "bob")) {
                join(bob, "r");
                for (int i = 1; i <= 3; i++) {
                    bob.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"m" + i + "\"}");
                }
                for (int i = 1; i <= 3; i++) {
                    assertThat(alice.nextOfType("room_message").path("offset").asLong()).isEqualTo(i);
                }
                seen = 3;
            }
        }
        try (WsClient writer = WsClient.welcomed(port1, "writer"); WsClient alice = WsClient.welcomed(port2, "alice")) {
            join(writer, "r");
            for (int i = 4; i <= 6; i++) {
                writer.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"m" + i + "\"}");
            }
            writer.send("{\"type\":\"ping\",\"id\":\"sync\"}");
            writer.next("pong");
            alice.send("{\"type\":\"join_room\",\"room\":\"r\",\"since\":{\"offset\":" + seen + ",\"epoch\":\""
                    + epoch + "\"}}");
            for (int i = 4; i <= 6; i++) {
                assertThat(alice.next("room_message").path("offset").asLong()).isEqualTo(i);
            }
            JsonNode joined = alice.next("room_joined");
            assertThat(joined.path("recovered").asBoolean()).isTrue();
            assertThat(joined.path("offset").asLong()).isEqualTo(6);
            writer.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"m7\"}");
            assertThat(alice.nextOfType("room_message").path("offset").asLong()).isEqualTo(7);
        }
    }

    @Test
    void theApiOfOneNodeDisconnectsAUserOnEveryNode() throws Exception {
        try (WsClient bob1 = WsClient.welcomed(port1, "bob"); WsClient bob2 = WsClient.welcomed(port2, "bob")) {
            HttpResponse<String> res = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port1 + "/api/disconnect"))
                    .header("X-API-Key", TestServers.API_KEY)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"userId\":\"bob\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(bob1.awaitClose()).isEqualTo(4003);
            assertThat(bob2.awaitClose()).isEqualTo(4003);
        }
    }
}
