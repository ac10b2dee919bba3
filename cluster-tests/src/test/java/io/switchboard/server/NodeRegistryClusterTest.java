package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.NatsServerProcess;
import io.switchboard.testkit.RedisServerProcess;
import io.switchboard.testkit.TcpProxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two nodes over a real redis-server, and over a real nats-server: {@code GET /api/nodes} on either lists both;
 * {@code GET /api/rooms} lists the rooms of both with their members summed; a node cut off from the cluster
 * without a goodbye (its broker connections frozen behind a proxy, as a killed or partitioned node looks to
 * the others) leaves the list once its TTL ({@code cluster.presenceTtl}, 3 s here) has passed, not before, and
 * its rooms leave {@code /api/rooms} with it; a node that stops cleanly leaves at once.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class NodeRegistryClusterTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** {@code ClusterNodes.cluster}'s presence TTL, which the registry uses as its own. */
    private static final Duration TTL = Duration.ofSeconds(3);

    private final List<WsClient> clients = new ArrayList<>();
    private ClusterNodes nodes;
    private TcpProxy proxy;
    private RedisServerProcess redis;
    private NatsServerProcess nats;

    @AfterEach
    void stop() throws Exception {
        clients.forEach(WsClient::close);
        if (proxy != null) {
            proxy.thaw();
        }
        if (nodes != null) {
            nodes.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (redis != null) {
            redis.close();
        }
        if (nats != null) {
            nats.close();
        }
    }

    @Test
    void overRedisBothNodesAreListedTheirRoomsSummedAndASilentNodeLeavesAfterItsTtl() throws Exception {
        redis = RedisServerProcess.start(false);
        proxy = new TcpProxy(redis.port());
        nodes = new ClusterNodes();
        int n1 = nodes.start(ClusterNodes.config("n1", cluster("redis"), redis.port(), List.of())).port();
        int n2 = nodes.start(ClusterNodes.config("n2", cluster("redis"), proxy.port(), List.of())).port();
        bothListedThenSilentOneLeaves(n1, n2);
    }

    @Test
    void overNatsBothNodesAreListedTheirRoomsSummedAndASilentNodeLeavesAfterItsTtl() throws Exception {
        // History and presence stay in Redis, as with every NATS cluster; the registry rides on NATS alone.
        redis = RedisServerProcess.start(false);
        nats = NatsServerProcess.started();
        proxy = new TcpProxy(nats.port());
        nodes = new ClusterNodes();
        int n1 = nodes.start(ClusterNodes.config("n1", cluster("nats"), redis.port(), List.of(nats.url()))).port();
        int n2 = nodes.start(ClusterNodes.config("n2", cluster("nats"), redis.port(),
                List.of("nats://127.0.0.1:" + proxy.port()))).port();
        bothListedThenSilentOneLeaves(n1, n2);
    }

    @Test
    void aNodeThatStopsCleanlyLeavesTheListAtOnce() throws Exception {
        redis = RedisServerProcess.start(false);
        nodes = new ClusterNodes();
        int n1 = nodes.start(ClusterNodes.config("n1", cluster("redis"), redis.port(), List.of())).port();
        nodes.start(ClusterNodes.config("n2", cluster("redis"), redis.port(), List.of()));
        Await.until("n1 lists both nodes", () -> nodeIds(n1).equals(List.of("n1", "n2")));
        long stopping = System.nanoTime();
        Thread closing = new Thread(nodes.get(1)::close);
        closing.start();
        Await.until("n1 drops n2", TTL, () -> nodeIds(n1).equals(List.of("n1")));
        // A silent node is dropped no sooner than its TTL after its last announcement (at most a third of the
        // TTL before the stop): sooner means the goodbye was heard.
        assertThat(Duration.ofNanos(System.nanoTime() - stopping)).as("its goodbye, not its TTL")
                .isLessThan(TTL.minus(TTL.dividedBy(3)));
        closing.join();
    }

    private static io.switchboard.core.config.Cluster cluster(String broker) {
        return ClusterNodes.cluster(broker, 10_000, Duration.ofSeconds(2));
    }

    private void bothListedThenSilentOneLeaves(int n1, int n2) throws Exception {
        Await.until("n1 lists both nodes", () -> nodeIds(n1).equals(List.of("n1", "n2")));
        Await.until("n2 lists both nodes", () -> nodeIds(n2).equals(List.of("n1", "n2")));

        join(n1, "a1", "alpha");
        join(n1, "a2", "shared");
        join(n2, "b1", "beta");
        join(n2, "b2", "shared");
        join(n2, "b3", "shared");
        // Other nodes' counters are those of their last announcement: wait for one that has the clients.
        Await.until("n1 sees n2's three connections", () -> node(n1, "n2").path("connections").asInt() == 3);
        JsonNode self = node(n1, "n1");
        assertThat(self.path("self").asBoolean()).isTrue();
        assertThat(self.path("connections").asInt()).isEqualTo(2);
        JsonNode other = node(n1, "n2");
        assertThat(other.path("self").asBoolean()).isFalse();
        assertThat(other.path("rooms").asInt()).isEqualTo(2);
        assertThat(other.path("address").asText()).endsWith(":" + n2);
        assertThat(other.path("version").asText()).isNotEmpty();
        assertThat(other.path("uptimeMs").asLong()).isNotNegative();
        assertThat(other.path("broker").path("connected").asBoolean()).isTrue();
        assertThat(other.path("breakers").size()).isEqualTo(2);

        for (int port : new int[] {n1, n2}) {
            JsonNode all = get(port, "/api/rooms");
            assertThat(all.path("rooms").toString()).as("through %d", port).isEqualTo(
                    "[{\"room\":\"alpha\",\"members\":1},{\"room\":\"beta\",\"members\":1},"
                            + "{\"room\":\"shared\",\"members\":3}]");
            assertThat(all.path("cursor").isNull()).isTrue();
            assertThat(all.path("missing")).isEmpty();
        }
        JsonNode first = get(n1, "/api/rooms?limit=2");
        assertThat(first.path("rooms").toString())
                .isEqualTo("[{\"room\":\"alpha\",\"members\":1},{\"room\":\"beta\",\"members\":1}]");
        JsonNode second = get(n1, "/api/rooms?limit=2&cursor=" + first.path("cursor").asText());
        assertThat(second.path("rooms").toString()).isEqualTo("[{\"room\":\"shared\",\"members\":3}]");
        assertThat(second.path("cursor").isNull()).isTrue();
        assertThat(get(n2, "/api/rooms?prefix=sh").path("rooms").toString())
                .isEqualTo("[{\"room\":\"shared\",\"members\":3}]");
        assertThat(status(n1, "/api/rooms?prefix=no%20spaces")).isEqualTo(400);
        assertThat(status(n1, "/api/rooms?cursor=bm8gc3BhY2Vz")).as("a cursor that is no room name").isEqualTo(400);

        long silentSince = System.nanoTime();
        proxy.freeze();
        Await.until("n1 drops n2", TTL.multipliedBy(4), () -> nodeIds(n1).equals(List.of("n1")));
        long after = System.nanoTime() - silentSince;
        // Its last announcement left at most one interval (a third of the TTL) before the freeze.
        assertThat(Duration.ofNanos(after)).as("not dropped before its TTL")
                .isGreaterThanOrEqualTo(TTL.minus(TTL.dividedBy(3)));
        assertThat(get(n1, "/api/rooms").path("rooms").toString()).as("the lost node's rooms are gone")
                .isEqualTo("[{\"room\":\"alpha\",\"members\":1},{\"room\":\"shared\",\"members\":1}]");
    }

    private void join(int port, String user, String room) {
        WsClient c = WsClient.welcomed(port, user);
        clients.add(c);
        c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\",\"id\":\"j\"}");
        c.nextOfType("room_joined");
    }

    private static List<String> nodeIds(int port) {
        JsonNode nodes = get(port, "/api/nodes").path("nodes");
        return StreamSupport.stream(nodes.spliterator(), false).map(n -> n.path("nodeId").asText()).toList();
    }

    private static JsonNode node(int port, String id) {
        for (JsonNode n : get(port, "/api/nodes").path("nodes")) {
            if (n.path("nodeId").asText().equals(id)) {
                return n;
            }
        }
        throw new AssertionError("node " + id + " not listed by the node on port " + port);
    }

    private static int status(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + TestServers.API_KEY).GET().build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static JsonNode get(int port, String path) {
        try {
            HttpResponse<String> res = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .header("Authorization", "Bearer " + TestServers.API_KEY).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(res.statusCode()).as("%s: %s", path, res.body()).isEqualTo(200);
            return JSON.readTree(res.body());
        } catch (Exception e) {
            throw new AssertionError(path, e);
        }
    }
}
