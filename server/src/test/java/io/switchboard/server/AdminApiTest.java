package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.server.config.Admin;
import io.switchboard.server.config.Hooks;
import io.switchboard.server.config.SwitchboardConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The API calls the admin console makes beyond rooms and messages, over real HTTP with real WebSocket clients. */
class AdminApiTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final String PASSWORD = "admin-password-0123456789";
    private static final String HOOK_SECRET = "hook-secret-0123456789";
    private static final String URL_PASSWORD = "url-password";

    private SwitchboardServer server;
    private int port;

    @BeforeEach
    void start() {
        SwitchboardConfig base = TestServers.config();
        server = SwitchboardServer.start(base.toBuilder().admin(Admin.builder().enabled(true).password(PASSWORD).build())
                .hooks(Hooks.builder().url("http://hooks:" + URL_PASSWORD + "@127.0.0.1:9/hooks").secret(HOOK_SECRET)
                        .build()).build());
        port = server.port();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + TestServers.API_KEY).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode json(String path) throws Exception {
        HttpResponse<String> res = get(path);
        assertThat(res.statusCode()).as("%s: %s", path, res.body()).isEqualTo(200);
        return WsClient.JSON.readTree(res.body());
    }

    private static void join(WsClient c, String room) {
        c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\"}");
        c.next("room_joined");
    }

    @Test
    void nodesDescribesThisNodeWithItsCountersBrokerAndBreakers() throws Exception {
        try (WsClient a = WsClient.welcomed(port, "alice")) {
            join(a, "lobby");
            JsonNode nodes = json("/api/nodes").path("nodes");
            assertThat(nodes).hasSize(1);
            JsonNode n = nodes.get(0);
            assertThat(n.path("nodeId").asText()).isEqualTo("t1");
            assertThat(n.path("self").asBoolean()).isTrue();
            assertThat(n.path("version").asText()).isNotEmpty();
            assertThat(n.path("uptimeMs").asLong()).isNotNegative();
            assertThat(n.path("draining").asBoolean()).isFalse();
            assertThat(n.path("connections").asInt()).isEqualTo(1);
            assertThat(n.path("rooms").asInt()).isEqualTo(1);
            assertThat(n.path("messagesReceived").asLong()).isEqualTo(1);
            assertThat(n.path("messagesSent").asLong()).isGreaterThanOrEqualTo(2);
            assertThat(n.path("broker").path("name").asText()).isEqualTo("memory");
            assertThat(n.path("broker").path("connected").asBoolean()).isTrue();
            assertThat(n.path("breakers").isArray()).isTrue();
        }
    }

    @Test
    void connectionsListsAUsersConnectionsWithAddressRoomsAndSince() throws Exception {
        long before = System.currentTimeMillis();
        List<WsClient> clients = new ArrayList<>();
        try {
            for (String user : new String[] {"bob", "bob", "bobby", "carol"}) {
                clients.add(WsClient.welcomed(port, user));
            }
            WsClient b1 = clients.get(0);
            join(b1, "lobby");
            join(b1, "dev");
            JsonNode exact = json("/api/connections?user=bob");
            assertThat(exact.path("total").asInt()).isEqualTo(2);
            assertThat(exact.path("missing").isArray()).as("no other node to miss").isTrue();
            assertThat(exact.path("missing")).isEmpty();
            JsonNode first = exact.path("connections").get(0);
            assertThat(first.path("userId").asText()).isEqualTo("bob");
            assertThat(first.path("node").asText()).isEqualTo("t1");
            assertThat(first.path("address").asText()).startsWith("127.0.0.1");
            assertThat(first.path("rooms").toString()).isEqualTo("[\"dev\",\"lobby\"]");
            assertThat(first.path("roomCount").asInt()).isEqualTo(2);
            assertThat(first.path("connectedAt").asLong()).isBetween(before, System.currentTimeMillis());
            assertThat(first.path("connId").asText()).isNotEqualTo(exact.path("connections").get(1).path("connId").asText());

            List<String> users = new ArrayList<>();
            json("/api/connections?prefix=bob").path("connections").forEach(c -> users.add(c.path("userId").asText()));
            assertThat(users).containsExactlyInAnyOrder("bob", "bob", "bobby");
            JsonNode limited = json("/api/connections?limit=1");
            assertThat(limited.path("total").asInt()).isEqualTo(4);
            assertThat(limited.path("connections")).hasSize(1);
            assertThat(limited.path("connections").get(0).path("connId").asText()).as("the oldest")
                    .isEqualTo(first.path("connId").asText());
        } finally {
            clients.forEach(WsClient::close);
        }
    }

    @Test
    void connectionsListAtMostAHundredRoomNamesAndCountTheRest() throws Exception {
        server.close();
        SwitchboardConfig base = TestServers.config();
        server = SwitchboardServer.start(base.toBuilder().websocket(base.websocket().toBuilder()
                .maxRoomsPerConnection(150).build()).admin(Admin.builder().enabled(true).build()).build());
        port = server.port();
        try (WsClient c = WsClient.welcomed(port, "many")) {
            for (int i = 0; i < 120; i++) {
                join(c, String.format("r%03d", i));
            }
            JsonNode conn = json("/api/connections?user=many").path("connections").get(0);
            assertThat(conn.path("roomCount").asInt()).isEqualTo(120);
            assertThat(conn.path("rooms")).hasSize(100);
            assertThat(conn.path("rooms").get(0).asText()).isEqualTo("r000");
            assertThat(conn.path("rooms").get(99).asText()).as("the first hundred by name").isEqualTo("r099");
        }
    }

    @Test
    void connectionsRefusesABadUserOrLimitWithTheRule() throws Exception {
        HttpResponse<String> bad = get("/api/connections?user=no%20spaces");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).isEqualTo(
                "{\"error\":\"invalid_field\",\"message\":\"user must match [A-Za-z0-9_.:@-]{1,64}\"}");
        HttpResponse<String> limit = get("/api/connections?limit=0");
        assertThat(limit.body()).isEqualTo(
                "{\"error\":\"invalid_field\",\"message\":\"limit must be an integer from 1 to 500\"}");
    }

    @Test
    void historyHasTheLastMessagesOfARoom() throws Exception {
        try (WsClient a = WsClient.welcomed(port, "alice")) {
            join(a, "lobby");
            for (int i = 1; i <= 3; i++) {
                a.send("{\"type\":\"room_message\",\"room\":\"lobby\",\"content\":\"m" + i + "\",\"echo\":true}");
                a.next("room_message");
            }
            JsonNode page = json("/api/history?room=lobby&limit=2");
            assertThat(page.path("room").asText()).isEqualTo("lobby");
            assertThat(page.path("epoch").asText()).isNotEmpty();
            assertThat(page.path("messages")).hasSize(2);
            assertThat(page.path("messages").get(0).path("content").asText()).isEqualTo("m2");
            assertThat(page.path("messages").get(1).path("content").asText()).isEqualTo("m3");
            assertThat(page.path("messages").get(1).path("offset").asLong()).isEqualTo(3);
            assertThat(page.path("messages").get(1).path("from").asText()).isEqualTo("alice");
        }
        HttpResponse<String> noRoom = get("/api/history");
        assertThat(noRoom.statusCode()).isEqualTo(400);
        assertThat(noRoom.body()).contains("room must match");
    }

    @Test
    void configShowsEveryKeyWithEverySecretMasked() throws Exception {
        HttpResponse<String> res = get("/api/config");
        assertThat(res.body()).doesNotContain(TestServers.API_KEY).doesNotContain(PASSWORD).doesNotContain(HOOK_SECRET)
                .doesNotContain(URL_PASSWORD);
        JsonNode config = WsClient.JSON.readTree(res.body()).path("config");
        assertThat(config.path("websocket").path("pingInterval").asText()).isEqualTo("25s");
        assertThat(config.path("websocket").path("maxQueuedBytes").asText()).isEqualTo("1MiB");
        assertThat(config.path("server").path("nodeId").asText()).isEqualTo("t1");
        assertThat(config.path("admin").path("enabled").asText()).isEqualTo("true");
        assertThat(config.path("api").path("keys").asText()).isEqualTo("hidden");
        assertThat(config.path("admin").path("password").asText()).isEqualTo("hidden");
        assertThat(config.path("hooks").path("secret").asText()).isEqualTo("hidden");
        assertThat(config.path("hooks").path("url").asText()).as("credentials in a URL")
                .isEqualTo("http://hidden@127.0.0.1:9/hooks");
        assertThat(config.path("security").path("jwtSecret").asText()).as("an unset secret").isEmpty();
        assertThat(config.path("nats").path("servers").asText()).isEqualTo("nats://127.0.0.1:4222");
        List<String> sections = new ArrayList<>();
        config.fieldNames().forEachRemaining(sections::add);
        assertThat(sections).containsExactly("server", "websocket", "hub", "history", "presence", "shutdown", "api", "redis",
                "monitoring", "security", "tracing", "cluster", "nats", "hooks", "proxy", "admin", "namespaces");
    }

    @Test
    void theseCallsNeedAKeyAndAGet() throws Exception {
        for (String path : new String[] {"/api/nodes", "/api/connections", "/api/config", "/api/history?room=a"}) {
            HttpResponse<String> res = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(res.statusCode()).as(path).isEqualTo(401);
            HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .header("Authorization", "Bearer " + PASSWORD).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).as(path).isEqualTo(405);
        }
    }
}
