package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.server.config.ConfigLoader;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.ExternalProcesses;
import io.switchboard.testkit.RawPeer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The example backend of docs/integration.md ({@code examples/backend/backend.py}) as a real process, with the
 * example configuration: a cookie session connects through the connect proxy, webhooks arrive signed and are
 * accepted, an rpc is answered, and the backend publishes over the server API.
 */
class ExampleBackendTest {
    private static final Path EXAMPLE = Path.of("..", "examples", "backend");
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private Process backend;
    private SwitchboardServer server;
    private final List<String> output = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        if (server != null) {
            server.close();
        }
        if (backend != null) {
            backend.destroy();
            if (!backend.waitFor(5, TimeUnit.SECONDS)) {
                backend.destroyForcibly();
            }
        }
    }

    @Test
    void theExampleBackendConnectsACookieSessionReceivesSignedEventsAnswersRpcAndPublishes() throws Exception {
        ExternalProcesses.requireOnPath("python3", "install Python 3 (apt-get install python3) to run the example");
        assertThat(Files.isRegularFile(EXAMPLE.resolve("backend.py"))).isTrue();
        int backendPort = ExternalProcesses.freePort();
        String base = "http://127.0.0.1:" + backendPort;
        SwitchboardConfig example = ConfigLoader.load(EXAMPLE.resolve("switchboard.yaml"), Map.of(), Map.of(
                "server.port", "0", "server.host", "127.0.0.1",
                "hooks.url", base + "/switchboard/events", "hooks.batchMaxDelay", "10ms",
                "proxy.connect", base + "/switchboard/connect", "proxy.rpc", base + "/switchboard/rpc"));
        server = SwitchboardServer.start(example);
        backend = new ProcessBuilder("python3", EXAMPLE.resolve("backend.py").toString(), "--port",
                String.valueOf(backendPort), "--secret", example.hooks().secret(), "--switchboard",
                "http://127.0.0.1:" + server.port(), "--api-key", example.api().keys().get(0))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(backend.getInputStream(),
                    StandardCharsets.UTF_8))) {
                r.lines().forEach(output::add);
            } catch (java.io.IOException e) {
                // the process ended
            }
        }, "example-backend-output");
        reader.setDaemon(true);
        reader.start();
        Await.until("the backend listening", Duration.ofSeconds(10),
                () -> output.stream().anyMatch(l -> l.startsWith("listening on")));

        HttpResponse<String> login = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/login?user=alice")).build(),
                HttpResponse.BodyHandlers.ofString());
        String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];

        assertThat(RawPeer.refusedUpgrade(server.port(), "/ws").body()).contains("log in first");
        try (WsClient alice = WsClient.connectWithQuery(server.port(), "", "Cookie", cookie)) {
            JsonNode welcome = alice.next("welcome");
            assertThat(welcome.path("userId").asText()).isEqualTo("alice");
            alice.send("{\"type\":\"join_room\",\"room\":\"chat:general\"}");
            alice.next("room_joined");
            alice.send("{\"type\":\"rpc\",\"id\":1,\"method\":\"time\"}");
            JsonNode time = alice.next("rpc_result");
            assertThat(time.path("data").path("for").asText()).isEqualTo("alice");
            assertThat(time.path("data").path("now").asLong()).isPositive();

            HTTP.send(HttpRequest.newBuilder(URI.create(base + "/announce?room=chat:general&text=deploy%20at%205"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            JsonNode announced = alice.next("room_message");
            assertThat(announced.path("content").asText()).isEqualTo("deploy at 5");
            assertThat(announced.path("from").asText()).isEqualTo("server");

            String connId = welcome.path("connId").asText();
            Await.until("the connect, join and occupied events printed", Duration.ofSeconds(10),
                    () -> events(connId).size() >= 3);
            assertThat(events(connId)).startsWith("connect", "join", "occupied");
        }
    }

    private List<String> events(String connId) {
        return output.stream().filter(l -> l.startsWith("event ")).map(l -> {
            try {
                return WsClient.JSON.readTree(l.substring("event ".length()));
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }).filter(e -> e.path("connId").asText().equals(connId)).map(e -> e.path("type").asText()).toList();
    }
}
