package io.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.client.ClientConfig;
import io.switchboard.client.ClientListener;
import io.switchboard.client.Member;
import io.switchboard.client.RoomMessage;
import io.switchboard.client.SwitchboardClient;
import io.switchboard.client.SwitchboardClients;
import io.switchboard.server.SwitchboardServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code switchboard connect} as a terminal program: a separate JVM whose stdin the test types
 * into and whose stdout (the screen) it reads, against a real server.
 */
class ConnectCommandTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private SwitchboardServer server;
    private Process process;
    private Writer keyboard;
    private final BlockingQueue<String> screen = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();
    private SwitchboardClient bob;
    private final BlockingQueue<Object> bobEvents = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start();
        bob = SwitchboardClients.create(ClientConfig.builder(url("bob")).build(), new ClientListener() {
            @Override
            public void onRoomMessage(RoomMessage message) {
                bobEvents.add(message);
            }

            @Override
            public void onMemberLeft(String room, Member member) {
                bobEvents.add(member);
            }
        });
        bob.connect().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() {
        if (process != null) {
            process.destroyForcibly();
        }
        bob.close();
        server.close();
    }

    private String url(String user) {
        return "ws://127.0.0.1:" + server.port() + "/ws?id=" + user;
    }

    private void launch(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.switchboard.cli.Main"));
        command.addAll(List.of(args));
        process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        keyboard = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    screen.add(line);
                }
            } catch (IOException ignored) {
                // process ended
            }
        });
        reader.setDaemon(true);
        reader.start();
    }

    private void type(String line) throws IOException {
        keyboard.write(line + "\n");
        keyboard.flush();
    }

    /** Waits for a screen line starting with the prefix and containing every fragment. */
    private String expectLine(String prefix, String... fragments) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            String line = screen.poll(100, TimeUnit.MILLISECONDS);
            if (line == null) {
                continue;
            }
            seen.add(line);
            if (line.startsWith(prefix) && List.of(fragments).stream().allMatch(line::contains)) {
                return line;
            }
        }
        throw new AssertionError("no line '" + prefix + "..." + List.of(fragments) + "' on the screen; saw " + seen);
    }

    @Test
    void typedShorthandAndJsonReachTheServerAndIncomingMessagesPrint() throws Exception {
        launch("connect", url("alice"));
        expectLine("< {\"type\":\"welcome\"", "\"userId\":\"alice\"");
        expectLine("* connected as alice");

        type("/join lobby");
        expectLine("< {\"type\":\"room_joined\"", "\"room\":\"lobby\"");

        bob.join("lobby").get(5, TimeUnit.SECONDS);
        expectLine("< {\"type\":\"user_joined_room\"", "\"userId\":\"bob\"");
        bob.publish("lobby", "hi alice").get(5, TimeUnit.SECONDS);
        expectLine("< {\"type\":\"room_message\"", "\"from\":\"bob\"", "\"content\":\"hi alice\"");

        type("/msg lobby hello bob");
        expectLine("< {\"type\":\"ack\"", "\"offset\":2");
        RoomMessage got = (RoomMessage) bobEvents.poll(10, TimeUnit.SECONDS);
        assertThat(got).isNotNull();
        assertThat(got.content()).isEqualTo("hello bob");

        type("{\"type\":\"echo\",\"content\":\"typed json\"}");
        expectLine("< {\"type\":\"echo\"", "\"content\":\"typed json\"");

        type("{not json");
        expectLine("! not valid JSON");
        type("hello?");
        expectLine("! unknown input");
        type("/msg lobby");
        expectLine("! usage: /msg ROOM TEXT");

        type("/quit");
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(0);
        assertThat(bobEvents.poll(10, TimeUnit.SECONDS)).isEqualTo(new Member("alice", memberConnId()));
    }

    private String memberConnId() {
        for (String line : seen) {
            if (line.startsWith("< {\"type\":\"welcome\"")) {
                int i = line.indexOf("\"connId\":\"") + "\"connId\":\"".length();
                return line.substring(i, line.indexOf('"', i));
            }
        }
        return null;
    }

    @Test
    void ctrlCClosesTheConnectionAndExits() throws Exception {
        launch("connect", url("alice"));
        expectLine("* connected as alice");
        type("/join lobby");
        expectLine("< {\"type\":\"room_joined\"");
        bob.join("lobby").get(5, TimeUnit.SECONDS);
        new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor(5, TimeUnit.SECONDS);
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).as("exited after SIGINT").isTrue();
        Object left = bobEvents.poll(10, TimeUnit.SECONDS);
        assertThat(left).isInstanceOf(Member.class);
        assertThat(((Member) left).userId()).isEqualTo("alice");
    }

    @Test
    void ctrlCSendsANormalCloseFrame() throws Exception {
        try (CloseRecordingServer peer = new CloseRecordingServer()) {
            launch("connect", peer.url());
            expectLine("* connected as alice");
            new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor(5, TimeUnit.SECONDS);
            assertThat(peer.closeCodes.poll(10, TimeUnit.SECONDS)).isEqualTo(1000);
            assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void quitSendsANormalCloseFrameAndExitsZero() throws Exception {
        try (CloseRecordingServer peer = new CloseRecordingServer()) {
            launch("connect", peer.url());
            expectLine("* connected as alice");
            type("/quit");
            assertThat(peer.closeCodes.poll(10, TimeUnit.SECONDS)).isEqualTo(1000);
            assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isZero();
        }
    }

    @Test
    void anUnreachableServerIsReportedWithExitCode1() throws Exception {
        int port = server.port();
        server.close();
        launch("connect", "ws://127.0.0.1:" + port + "/ws?id=alice");
        expectLine("! could not connect to ws://127.0.0.1:" + port);
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(1);
        server = TestServer.start(); // for stop()
    }
}
