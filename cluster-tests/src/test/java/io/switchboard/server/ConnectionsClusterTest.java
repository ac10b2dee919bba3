package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.core.config.Cluster;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.Closer;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code GET /api/connections} is cluster-wide: with two nodes over a real redis-server, a user connected to both
 * is listed through either node, each connection with the node it is on; {@code POST /api/disconnect} (which acts
 * on every node) empties the list on both; and a node that does not answer (its Redis connections frozen behind a
 * proxy) is named in {@code missing}, its connections neither listed nor counted.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ConnectionsClusterTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Generous: the CI machine is loaded. */
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final Closer closer = new Closer();

    /**
     * A presence TTL far above the call deadline: a node cut off stays listed (and so is asked, and then named
     * missing) for several seconds after the cut, whatever the machine's load.
     */
    private static Cluster cluster() {
        return ClusterNodes.cluster("redis", 10_000, Duration.ofSeconds(2)).toBuilder()
                .presenceTtl(Duration.ofSeconds(15)).build();
    }

    @Test
    void aUsersConnectionsOnBothNodesAreListedWithTheirNodeAndDisconnectingEmptiesBoth() throws Exception {
        RedisServerProcess redis = closer.add(RedisServerProcess.start(false));
        TcpProxy proxy = closer.add(new TcpProxy(redis.port()));
        ClusterNodes nodes = closer.add(new ClusterNodes());
        int n1 = nodes.start(ClusterNodes.config("n1", cluster(), redis.port(), List.of())).port();
        int n2 = nodes.start(ClusterNodes.config("n2", cluster(), proxy.port(), List.of())).port();
        closer.add((AutoCloseable) proxy::thaw); // before the nodes close: their goodbyes go out
        Await.until("n1 lists both nodes", WAIT, () -> nodeIds(n1).equals(List.of("n1", "n2")));
        Await.until("n2 lists both nodes", WAIT, () -> nodeIds(n2).equals(List.of("n1", "n2")));

        WsClient onN1 = client(n1, "alice", "lobby");
        WsClient onN2 = client(n2, "alice", "dev");
        client(n2, "bob", "dev");
        for (int port : new int[] {n1, n2}) {
            JsonNode page = get(port, "/api/connections?user=alice");
            assertThat(page.path("total").asInt()).as("through %d", port).isEqualTo(2);
            assertThat(page.path("missing")).as("through %d", port).isEmpty();
            List<JsonNode> conns = list(page.path("connections"));
            assertThat(conns).extracting(c -> c.path("node").asText()).as("through %d", port)
                    .containsExactlyInAnyOrder("n1", "n2");
            assertThat(conns).extracting(c -> c.path("userId").asText()).containsOnly("alice");
            JsonNode first = conns.get(0);
            JsonNode second = conns.get(1);
            assertThat(first.path("connectedAt").asLong()).as("oldest first")
                    .isLessThanOrEqualTo(second.path("connectedAt").asLong());
            JsonNode a1 = first.path("node").asText().equals("n1") ? first : second;
            JsonNode a2 = a1 == first ? second : first;
            assertThat(a1.path("rooms").toString()).isEqualTo("[\"lobby\"]");
            assertThat(a2.path("rooms").toString()).isEqualTo("[\"dev\"]");
            assertThat(a1.path("connId").asText()).startsWith("c-n1-");
            assertThat(a2.path("connId").asText()).startsWith("c-n2-");
            assertThat(a1.path("address").asText()).startsWith("127.0.0.1:");
            assertThat(a2.path("address").asText()).startsWith("127.0.0.1:");
        }
        JsonNode all = get(n1, "/api/connections?prefix=");
        assertThat(all.path("total").asInt()).as("an empty prefix is none").isEqualTo(3);
        JsonNode oldest = get(n1, "/api/connections?limit=1");
        assertThat(oldest.path("total").asInt()).isEqualTo(3);
        assertThat(list(oldest.path("connections"))).extracting(c -> c.path("connId").asText())
                .as("the cluster's oldest").containsExactly(onN1Id(n1));
        assertThat(get(n2, "/api/connections?prefix=bo").path("connections").get(0).path("node").asText())
                .isEqualTo("n2");

        assertThat(post(n1, "/api/disconnect", "{\"userId\":\"alice\"}").statusCode()).isEqualTo(200);
        assertThat(onN1.awaitClose()).isEqualTo(4003);
        assertThat(onN2.awaitClose()).as("on the other node too").isEqualTo(4003);
        for (int port : new int[] {n1, n2}) {
            Await.until("alice's connections gone through " + port, WAIT,
                    () -> get(port, "/api/connections?user=alice").path("total").asInt() == 0);
            JsonNode empty = get(port, "/api/connections?user=alice");
            assertThat(empty.path("connections")).isEmpty();
            assertThat(empty.path("missing")).isEmpty();
        }
        assertThat(get(n1, "/api/connections").path("total").asInt()).as("bob stays").isEqualTo(1);

        client(n1, "carol", "lobby");
        proxy.freeze();
        JsonNode cutOff = get(n1, "/api/connections");
        assertThat(cutOff.path("missing").toString()).isEqualTo("[\"n2\"]");
        assertThat(cutOff.path("total").asInt()).as("bob, on n2, is not counted").isEqualTo(1);
        assertThat(list(cutOff.path("connections"))).extracting(c -> c.path("userId").asText()).containsExactly("carol");
    }

    /** The id of the one connection on node {@code port} of alice, as that node lists it. */
    private static String onN1Id(int port) {
        for (JsonNode c : get(port, "/api/connections?user=alice").path("connections")) {
            if (c.path("node").asText().equals("n1")) {
                return c.path("connId").asText();
            }
        }
        throw new AssertionError("alice has no connection on n1");
    }

    private WsClient client(int port, String user, String room) {
        WsClient c = closer.add(WsClient.welcomed(port, user));
        c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\",\"id\":\"j\"}");
        c.nextOfType("room_joined");
        return c;
    }

    private static List<JsonNode> list(JsonNode array) {
        return new ArrayList<>(StreamSupport.stream(array.spliterator(), false).toList());
    }

    private static List<String> nodeIds(int port) {
        return list(get(port, "/api/nodes").path("nodes")).stream().map(n -> n.path("nodeId").asText()).toList();
    }

    private static HttpResponse<String> post(int port, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + TestServers.API_KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
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
