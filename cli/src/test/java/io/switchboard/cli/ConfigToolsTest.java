package io.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchboard.client.ClientConfig;
import io.switchboard.client.ClientListener;
import io.switchboard.client.SwitchboardClient;
import io.switchboard.client.SwitchboardClientException.ServerErrorException;
import io.switchboard.client.SwitchboardClients;
import io.switchboard.core.auth.Grants;
import io.switchboard.core.auth.TokenVerifier;
import io.switchboard.server.SwitchboardServer;
import io.switchboard.server.config.ConfigLoader;
import io.switchboard.server.config.EffectiveConfig;
import io.switchboard.server.config.SwitchboardConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** switchboard genconfig, token and check-config: a secure first start without a secret made up by hand. */
class ConfigToolsTest {
    private record Run(int code, String out, String err) {
    }

    @TempDir
    Path dir;

    /** Through Main, as a user runs it (its one-line error handling included). */
    private static Run main(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** One command with its environment replaced. */
    private static Run command(Object command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new CommandLine(command).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private Path generated() {
        Path file = dir.resolve("switchboard.yaml");
        Run r = main("genconfig", "--output", file.toString());
        assertThat(r.code()).as(r.err()).isZero();
        return file;
    }

    @Test
    void genconfigWritesAPrivateFileThatLoadsWithAuthOnAndFreshSecrets() throws Exception {
        Path file = generated();
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        SwitchboardConfig config = ConfigLoader.load(file, Map.of(), Map.of());
        assertThat(config.security().requireAuth()).isTrue();
        assertThat(config.security().jwtSecret()).hasSize(43); // 32 bytes, base64url
        assertThat(config.api().keys()).singleElement().asString().startsWith("sb_").hasSize(46);

        Run again = main("genconfig", "--output", file.toString());
        assertThat(again.code()).isEqualTo(2);
        assertThat(again.err().strip()).isEqualTo("switchboard genconfig: " + file + " exists; choose another file or pass --force");
        assertThat(main("genconfig", "--output", file.toString(), "--force").code()).isZero();
        assertThat(ConfigLoader.load(file, Map.of(), Map.of()).security().jwtSecret())
                .isNotEqualTo(config.security().jwtSecret());

        Run stdout = main("genconfig");
        assertThat(stdout.code()).isZero();
        assertThat(stdout.out()).contains("requireAuth: true", "jwtSecret: \"").doesNotContain(config.security().jwtSecret());
    }

    @Test
    void aTokenFromTheGeneratedConfigCarriesTheGrantsTheServerVerifies() throws Exception {
        Path file = generated();
        SwitchboardConfig config = ConfigLoader.load(file, Map.of(), Map.of());
        TokenCommand token = new TokenCommand();
        token.env = Map.of();
        token.clock = Clock.fixed(Instant.now(), ZoneOffset.UTC);
        Run r = command(token, "--config", file.toString(), "--sub", "alice", "--rooms", "chat:*,lobby",
                "--publish", "chat:*", "--ttl", "1h", "--broadcast");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().strip()).matches("[\\w-]+\\.[\\w-]+\\.[\\w-]+");

        try (TokenVerifier verifier = TokenVerifier.create(config.security())) {
            Grants grants = verifier.verify(r.out().strip());
            assertThat(grants.userId()).isEqualTo("alice");
            assertThat(grants.rooms().patterns()).containsExactly("chat:*", "lobby");
            assertThat(grants.publish().patterns()).containsExactly("chat:*");
            assertThat(grants.broadcast()).isTrue();
            assertThat(grants.expiresAtMillis()).isEqualTo(token.clock.instant().plusSeconds(3600).getEpochSecond() * 1000);
        }
    }

    @Test
    void aClientConnectsWithTheTokenToAServerRunningTheGeneratedConfig() throws Exception {
        Path file = generated();
        SwitchboardConfig config = ConfigLoader.load(file, Map.of(),
                Map.of("server.host", "127.0.0.1", "server.port", "0"));
        Run r = main("token", "--config", file.toString(), "--sub", "alice", "--rooms", "chat:*");
        assertThat(r.code()).as(r.err()).isZero();
        SwitchboardServer server = SwitchboardServer.start(config);
        SwitchboardClient client = SwitchboardClients.create(
                ClientConfig.builder("ws://127.0.0.1:" + server.port() + "/ws").token(r.out().strip())
                        .reconnect(false).build(), new ClientListener() { });
        try {
            assertThat(client.connect().join().userId()).isEqualTo("alice");
            assertThat(client.join("chat:1").join().room()).isEqualTo("chat:1");
            assertThatThrownBy(() -> client.join("elsewhere").join()).isInstanceOf(CompletionException.class)
                    .cause().isInstanceOfSatisfying(ServerErrorException.class, e -> assertThat(e.code()).isEqualTo("forbidden"));
        } finally {
            client.close();
            server.shutdown(java.time.Duration.ZERO);
            server.awaitTermination();
        }
    }

    @Test
    void tokenRefusesInOneLineWhatCannotMakeAValidToken() throws Exception {
        Run noSecret = main("token", "--sub", "alice", "--set", "security.jwtSecret=");
        assertThat(noSecret.code()).isEqualTo(2);
        assertThat(noSecret.err()).startsWith("switchboard token: no security.jwtSecret in built-in defaults and "
                + "SWITCHBOARD_* variables: pass the server's config with --config FILE (switchboard genconfig writes one with a secret)");

        Path file = generated();
        Run badTtl = main("token", "--config", file.toString(), "--sub", "alice", "--ttl", "soon");
        assertThat(badTtl.err()).startsWith("switchboard token: --ttl must look like 30m, 1h or 7d, got 'soon'");
        assertThat(main("token", "--config", file.toString(), "--sub", "alice", "--ttl", "400d").err())
                .startsWith("switchboard token: --ttl must be more than 0 and at most 366d, got '400d'");
        assertThat(main("token", "--config", file.toString(), "--sub", "alice smith").err())
                .startsWith("switchboard token: --sub must match [A-Za-z0-9_.:@-]{1,64}, got 'alice smith'");
        Run badRoom = main("token", "--config", file.toString(), "--sub", "alice", "--rooms", "chat:*:x*");
        assertThat(badRoom.code()).isEqualTo(2);
        assertThat(badRoom.err()).startsWith("switchboard token: --rooms 'chat:*:x*': room pattern must be *, a room name or a prefix ending in *");
        Run badConfig = main("token", "--config", file.toString(), "--sub", "alice", "--set", "security.jwtClockSkew=x");
        assertThat(badConfig.code()).isEqualTo(2);
        assertThat(badConfig.err().lines().count()).isEqualTo(1);
        assertThat(badConfig.err()).startsWith("switchboard token: ").contains("security.jwtClockSkew");
        for (Run run : new Run[] {noSecret, badTtl, badRoom, badConfig}) {
            assertThat(run.out()).isEmpty();
            assertThat(run.err()).doesNotContain("Exception").doesNotContain("\tat ");
        }
    }

    @Test
    void checkConfigPrintsTheEffectiveConfigurationWithSecretsHiddenAndItLoadsAgain() throws Exception {
        Path file = generated();
        SwitchboardConfig original = ConfigLoader.load(file, Map.of("SWITCHBOARD_SERVER_PORT", "9100"),
                Map.of("websocket.pingInterval", "20s", "namespaces.dash.historySize", "0"));
        CheckConfigCommand check = new CheckConfigCommand();
        check.env = Map.of("SWITCHBOARD_SERVER_PORT", "9100");
        Run r = command(check, "--config", file.toString(), "--set", "websocket.pingInterval=20s",
                "--set", "namespaces.dash.historySize=0");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("port: 9100", "pingInterval: 20s", "jwtSecret: hidden", "requireAuth: true",
                        "namespaces:\n  dash:\n    historySize: 0")
                .doesNotContain(original.security().jwtSecret()).doesNotContain(original.api().keys().get(0));

        Path printed = dir.resolve("effective.yaml");
        Files.writeString(printed, r.out());
        SwitchboardConfig reloaded = ConfigLoader.load(printed, Map.of(),
                Map.of("security.jwtSecret", original.security().jwtSecret(), "api.keys", original.api().keys().get(0)));
        assertThat(EffectiveConfig.values(reloaded)).isEqualTo(EffectiveConfig.values(original));
        assertThat(reloaded).isEqualTo(original);
    }

    @Test
    void checkConfigNamesTheBadKeyInOneLineAndExits2() {
        CheckConfigCommand check = new CheckConfigCommand();
        check.env = Map.of();
        Run r = command(check, "--set", "websocket.pingInterval=soon");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines().toList()).singleElement().asString()
                .startsWith("switchboard check-config: ").contains("websocket.pingInterval", "soon");
    }
}
