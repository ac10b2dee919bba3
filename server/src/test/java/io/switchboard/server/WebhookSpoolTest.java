package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.server.config.Hooks;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.server.node.StartException;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.Closer;
import io.switchboard.testkit.JvmProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The webhook spool ({@code hooks.spoolDir}) across restarts: a real server (and, for the crash, a real server
 * process killed with SIGKILL), a real HTTP backend that is down and comes back, real files.
 */
class WebhookSpoolTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** What each client of {@link #lifecycles} causes. */
    private static final List<String> LIFECYCLE = List.of("connect", "join r", "occupied r", "leave r (client_close)",
            "vacated r (client_close)", "disconnect (client_close)");

    @TempDir
    Path dir;
    @RegisterExtension
    final Closer closer = new Closer();
    private TestBackend backend;
    private SwitchboardServer server;

    private SwitchboardServer start(String nodeId, String url, Hooks.Builder hooks) {
        SwitchboardConfig base = ServerProcess.config(nodeId, url, dir.toString());
        return closer.add(SwitchboardServer.start(base.toBuilder().hooks(TestServers.hooks(hooks, url,
                base.hooks().secret()).spoolDir(dir.toString()).build()).build()));
    }

    private SwitchboardServer start(String nodeId, String url) {
        return start(nodeId, url, Hooks.builder());
    }

    private static String deadUrl(int port) {
        return "http://127.0.0.1:" + port + "/events";
    }

    /** {@code n} clients one after the other: each connects, joins r and disconnects. Their connIds. */
    private static List<String> lifecycles(int port, int n) {
        List<String> connIds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            WsClient c = WsClient.connect(port, "u" + i);
            connIds.add(c.next("welcome").path("connId").asText());
            c.send("{\"type\":\"join_room\",\"room\":\"r\"}");
            c.nextOfType("room_joined");
            c.close();
            // The next one joins only once this one has left: each is to fill the empty room again.
            Await.until("u" + i + " gone", WAIT, () -> Scrape.of(port, "/metrics").value("websocket_rooms_total") == 0
                    && Scrape.of(port, "/metrics").value("websocket_active_connections") == 0);
        }
        return connIds;
    }

    private static double spooled(int port) {
        return Scrape.of(port, "/metrics").value("webhook_spool_events");
    }

    /** The segment files, oldest first. */
    private List<Path> segments() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().matches("events-\\d{20}\\.jsonl")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The ids on disk, in spool order; lines that are not JSON are left out. */
    private List<String> idsOnDisk() throws IOException {
        List<String> ids = new ArrayList<>();
        for (Path segment : segments()) {
            for (String line : Files.readAllLines(segment, StandardCharsets.UTF_8)) {
                try {
                    ids.add(WsClient.JSON.readTree(line).path("id").asText());
                } catch (IOException e) {
                    // a torn line
                }
            }
        }
        return ids;
    }

    private List<JsonNode> events() {
        return backend.events();
    }

    private List<String> ids() {
        return events().stream().map(e -> e.path("id").asText()).toList();
    }

    private List<String> typesOf(String connId) {
        return backend.typesOf(connId);
    }

    private String lockedMessage() {
        return "hooks.spoolDir " + dir + " is locked by another running Switchboard node; every node needs a spool"
                + " directory of its own";
    }

    @Test
    void eventsSpooledByANodeKilledWithSigkillArriveAfterTheRestartInOrderUnderTheirIds() throws Exception {
        int deadPort = TestBackend.deadPort();
        List<String> connIds;
        try (JvmProcess node = ServerProcess.start("crashed", deadUrl(deadPort), dir)) {
            connIds = lifecycles(node.port(), 3);
            Await.until("18 events in the spool", WAIT, () -> spooled(node.port()) == 18);
            // Another process holds the directory: this one is refused it.
            assertThatThrownBy(() -> start("second", deadUrl(deadPort))).isInstanceOf(StartException.class)
                    .hasMessage(lockedMessage());
            node.kill();
        }
        List<String> onDisk = idsOnDisk();
        assertThat(onDisk).hasSize(18).doesNotHaveDuplicates().allSatisfy(id -> assertThat(id).startsWith("crashed-"));
        List<Path> segmentsOfTheCrashedRun = segments();

        backend = closer.add(TestBackend.start(deadPort));
        server = start("restarted", deadUrl(deadPort));
        Await.until("every spooled event", WAIT, () -> events().size() >= 18);

        assertThat(ids()).containsExactlyElementsOf(onDisk);
        for (String connId : connIds) {
            assertThat(typesOf(connId)).containsExactlyElementsOf(LIFECYCLE);
        }
        Await.until("the crashed run's segments deleted once acknowledged", WAIT,
                () -> segmentsOfTheCrashedRun.stream().noneMatch(Files::exists));
        assertThat(spooled(server.port())).isZero();
    }

    @Test
    void aGracefulStopWhileTheBackendIsDownKeepsTheEventsForTheNextStart() throws Exception {
        int deadPort = TestBackend.deadPort();
        server = start("first", deadUrl(deadPort));
        List<String> connIds = lifecycles(server.port(), 2);
        Await.until("12 events in the spool", WAIT, () -> spooled(server.port()) == 12);
        server.close();
        List<String> onDisk = idsOnDisk();
        assertThat(onDisk).hasSize(12);

        backend = closer.add(TestBackend.start(deadPort));
        server = start("second", deadUrl(deadPort));
        Await.until("every spooled event", WAIT, () -> events().size() >= 12);
        assertThat(ids()).containsExactlyElementsOf(onDisk);
        for (String connId : connIds) {
            assertThat(typesOf(connId)).containsExactlyElementsOf(LIFECYCLE);
        }
    }

    @Test
    void aLineTornByACrashIsSkippedWithAWarningAndTheWholeEventsAreSentFirst() throws Exception {
        int deadPort = TestBackend.deadPort();
        server = start("first", deadUrl(deadPort));
        lifecycles(server.port(), 1);
        Await.until("6 events in the spool", WAIT, () -> spooled(server.port()) == 6);
        server.close();
        List<String> onDisk = idsOnDisk();
        Path last = segments().get(segments().size() - 1).toRealPath(); // as the warning names it
        // What a crash in the middle of a write leaves: half a line, no newline.
        Files.writeString(last, "{\"seq\":7,\"id\":\"torn-7\",\"type\":\"conn", StandardOpenOption.APPEND);

        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger spoolLog = (Logger) LoggerFactory.getLogger("io.switchboard.server.hooks.Spool");
        spoolLog.addAppender(log);
        try {
            backend = closer.add(TestBackend.start(deadPort));
            server = start("second", deadUrl(deadPort));
        } finally {
            spoolLog.detachAppender(log);
        }
        assertThat(log.list).anySatisfy(e -> {
            assertThat(e.getLevel()).isEqualTo(Level.WARN);
            assertThat(e.getFormattedMessage()).startsWith("webhooks: skipping line 7 of " + last
                    + ", which is not a whole event (a write torn by a crash)");
        });
        // The restarted node's own events come after those of the spool.
        String connId = lifecycles(server.port(), 1).get(0);
        Await.until("the spooled events and the new ones", WAIT, () -> events().size() >= 12);
        List<String> ids = ids();
        assertThat(ids).hasSize(12).doesNotContain("torn-7");
        assertThat(ids.subList(0, 6)).containsExactlyElementsOf(onDisk);
        assertThat(typesOf(connId)).containsExactlyElementsOf(LIFECYCLE);
    }

    @Test
    void aSecondNodeOnTheSameSpoolDirectoryIsRefusedWithAMessageNamingTheKey() {
        backend = closer.add(TestBackend.start());
        server = start("first", backend.url("/events"));
        assertThatThrownBy(() -> start("second", backend.url("/events"))).isInstanceOf(StartException.class)
                .hasMessage(lockedMessage());
        // The refused node did not take the lock from the first as it gave up.
        assertThatThrownBy(() -> start("third", backend.url("/events"))).hasMessage(lockedMessage());
        server.close();
        server = start("fourth", backend.url("/events"));
        String connId = lifecycles(server.port(), 1).get(0);
        Await.until("the events of the node that took the directory over", WAIT, () -> typesOf(connId).size() == 6);
    }

    @Test
    void aFullSpoolDropsTheOldestSoThatARestartSendsOnlyTheNewest() throws Exception {
        int deadPort = TestBackend.deadPort();
        server = start("first", deadUrl(deadPort), Hooks.builder().events(List.of("connect")).batchMaxEvents(1)
                .maxQueued(5));
        int port = server.port();
        WebhookQueueFill fill = WebhookQueueFill.connect(port, 12, WAIT);
        // With a spool, the last event can still be in the intake (counted as waiting) when the fill's wait
        // ends; the drop it causes comes when the spool thread queues it. Past the mark: the five newest. The
        // drops moved it past the first, in flight, as well.
        Await.until("six dropped and the five newest spooled", WAIT, () -> spooled(port) == 5
                && Scrape.of(port, "/metrics").value("webhook_events_total", "outcome", "dropped") == 6);
        assertThat(Scrape.of(port, "/metrics").value("webhook_queue_events")).as("queued").isEqualTo(5);
        fill.clients().forEach(WsClient::close);
        server.close();

        backend = closer.add(TestBackend.start(deadPort));
        server = start("second", deadUrl(deadPort), Hooks.builder().events(List.of("connect")));
        Await.until("the five newest", WAIT, () -> events().size() >= 5);
        assertThat(events().stream().map(e -> e.path("connId").asText()).toList())
                .containsExactlyElementsOf(fill.connIds().subList(7, 12));
    }
}
