package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.Closer;
import io.switchboard.testkit.JvmProcess;
import io.switchboard.testkit.RedisServerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Lifecycle webhooks of a cluster, posted to a real HTTP backend: rooms are occupied and vacated once per
 * transition whichever node their members are on, and the connections of a node killed with SIGKILL are
 * reported once, by a survivor, with reason {@code node_lost}.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ClusterLifecycleEventsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final Closer closer = new Closer();
    private RedisServerProcess redis;
    private TestBackend backend;
    private ClusterNodes nodes;
    private JvmProcess doomed;
    private final ExecutorService pool = Executors.newFixedThreadPool(8);

    /** Before the closer's resources: tasks still running stop before the nodes they talk to. */
    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    private int startNode(String nodeId) {
        return nodes.start(NodeProcess.config(nodeId, redis.port(), backend.url("/events"))).port();
    }

    private WsClient client(int port, String user) {
        WsClient c = WsClient.welcomed(port, user);
        closer.add(c);
        return c;
    }

    private long count(String type, String room) {
        return backend.events().stream().filter(e -> e.path("type").asText().equals(type)
                && e.path("room").asText().equals(room)).count();
    }

    /** Runs every task at once on the pool and waits for all of them. */
    private void inParallel(List<Callable<Void>> tasks) throws Exception {
        for (Future<Void> f : pool.invokeAll(tasks, 60, TimeUnit.SECONDS)) {
            f.get();
        }
    }

    /** Joins the rooms one after another (a client sends one frame at a time). */
    private static Callable<Void> joining(WsClient c, String... rooms) {
        return () -> {
            for (String room : rooms) {
                c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\"}");
                c.nextOfType("room_joined");
            }
            return null;
        };
    }

    private static Callable<Void> leaving(WsClient c, String... rooms) {
        return () -> {
            for (String room : rooms) {
                c.send("{\"type\":\"leave_room\",\"room\":\"" + room + "\"}");
                c.nextOfType("room_left");
            }
            return null;
        };
    }

    @Test
    void racingMembersOnTwoNodesOccupyAndVacateEachRoomOncePerTransition() throws Exception {
        redis = closer.add(RedisServerProcess.start(false));
        backend = closer.add(TestBackend.start());
        nodes = closer.add(new ClusterNodes());
        int[] ports = {startNode("n1"), startNode("n2")};
        List<String> rooms = List.of("race-a", "race-b");
        List<WsClient> members = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            members.add(client(ports[i % 2], "u" + i));
        }
        int rounds = 8;
        for (int round = 0; round < rounds; round++) {
            // Everyone joins at once, then everyone leaves at once: each room goes 0 -> 6 -> 0, once.
            List<Callable<Void>> joins = new ArrayList<>();
            List<Callable<Void>> leaves = new ArrayList<>();
            for (int i = 0; i < members.size(); i++) {
                // Half take the rooms in the other order, so that both rooms see their joins race.
                String[] order = i % 2 == round % 2 ? new String[] {"race-a", "race-b"}
                        : new String[] {"race-b", "race-a"};
                joins.add(joining(members.get(i), order));
                leaves.add(leaving(members.get(i), order));
            }
            inParallel(joins);
            inParallel(leaves);
            // A room_left answer does not wait for presence: the next round starts once the rooms are empty there.
            int done = round + 1;
            Await.until("round " + done + " vacates both rooms", WAIT,
                    () -> rooms.stream().allMatch(r -> count("vacated", r) >= done));
        }
        int transitions = rounds;
        for (String room : rooms) {
            assertThat(count("join", room)).as(room).isEqualTo(6L * rounds);
            assertThat(count("leave", room)).as(room).isEqualTo(6L * rounds);
            assertThat(count("occupied", room)).as(room).isEqualTo(transitions);
            assertThat(count("vacated", room)).as(room).isEqualTo(transitions);
        }
    }

    @Test
    void theConnectionsOfANodeKilledAbruptlyAreReportedOnceAsNodeLostBySurvivors() throws Exception {
        redis = closer.add(RedisServerProcess.start(false));
        backend = closer.add(TestBackend.start());
        nodes = closer.add(new ClusterNodes());
        int survivorA = startNode("survivor-a");
        int retiring = startNode("retiring");
        doomed = closer.add(NodeProcess.start("doomed", redis.port(), backend.url("/events")));
        List<String> doomedConns = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            WsClient c = WsClient.connect(doomed.port(), "d" + i);
            closer.add(c);
            doomedConns.add(c.next("welcome").path("connId").asText());
            joining(c, "shared").call();
            joining(c, "alone").call();
        }
        WsClient stays = client(survivorA, "stays");
        joining(stays, "shared").call();
        WsClient leavesWithItsNode = client(retiring, "goes");
        joining(leavesWithItsNode, "shared").call();
        Await.until("the doomed node's joins reach the backend", WAIT,
                () -> count("join", "alone") == 3 && count("join", "shared") == 5);

        // A node that stops gracefully reports its own connections and leaves nothing for the others to report.
        nodes.get(1).close();
        assertThat(redis.call("ZSCORE", "switchboard:presence:nodes", "retiring")).isEqualTo("$-1");
        assertThat(redis.call("EXISTS", "switchboard:presence:node:{retiring}:members",
                "switchboard:presence:node:{retiring}:conns")).isEqualTo(":0");

        doomed.kill();
        Await.until("every connection of the doomed node is reported gone", WAIT, () -> backend.events().stream()
                .filter(e -> e.path("type").asText().equals("disconnect")).count() == 4);

        List<JsonNode> lost = backend.events().stream().filter(e -> e.path("reason").asText().equals("node_lost"))
                .toList();
        for (String connId : doomedConns) {
            assertThat(lost.stream().filter(e -> e.path("connId").asText().equals(connId))
                    .filter(e -> !e.path("type").asText().equals("vacated"))
                    .map(e -> e.path("type").asText() + (e.has("room") ? " " + e.path("room").asText() : "")))
                    .as(connId).containsExactlyInAnyOrder("leave shared", "leave alone", "disconnect");
        }
        assertThat(lost).as("only the doomed node's, not the retired one's")
                .allSatisfy(e -> assertThat(e.path("node").asText()).isEqualTo("doomed"));
        assertThat(count("vacated", "alone")).as("the room only the doomed node held").isEqualTo(1);
        assertThat(count("vacated", "shared")).as("a survivor's member is still there").isZero();
        List<String> reporters = lost.stream().map(e -> e.path("id").asText().replaceAll("-[^-]+-[^-]+$", ""))
                .distinct().toList();
        assertThat(reporters).as("one survivor reports them all").hasSize(1);

        leaving(stays, "shared").call();
        Await.until("the last member's leave vacates the room", WAIT, () -> count("vacated", "shared") == 1);
        assertThat(count("occupied", "shared")).isEqualTo(1);
    }
}
