package io.switchboard.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which peers can run here, and how the harness starts them and names them. */
class PeerServersTest {
    @TempDir
    Path bin;

    /** A stand-in executable that prints {@code output}. */
    private void tool(String name, String output) throws Exception {
        Path file = bin.resolve(name);
        Files.writeString(file, "#!/bin/sh\necho '" + output + "'\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void theNodePeerNeedsNodeAndNpmOnThePathAndSaysWhatToInstall() throws Exception {
        PeerServers peers = new PeerServers(Path.of("."), bin.toString());
        assertThat(peers.missing(Harness.Target.NODE_WS)).isEqualTo(
                "node or npm not on the PATH: install Node.js 20+ with npm (Debian: apt-get install -y nodejs npm)");
        tool("node", "20.11.1");
        assertThat(peers.missing(Harness.Target.NODE_WS)).as("npm still missing").startsWith("node or npm not on the PATH");
        tool("npm", "10.2.4");
        assertThat(peers.missing(Harness.Target.NODE_WS)).isNull();
    }

    @Test
    void aNodeOlderThan20IsReportedWithItsVersion() throws Exception {
        tool("node", "18.19.0");
        tool("npm", "9.2.0");
        assertThat(new PeerServers(Path.of("."), bin.toString()).missing(Harness.Target.NODE_WS))
                .startsWith("node 18.19.0 is older than 20: install Node.js 20+");
    }

    @Test
    void theJvmPeersNeedNothingTheBuildDoesNotBring() {
        PeerServers peers = new PeerServers(Path.of("."), bin.toString());
        for (Harness.Target t : List.of(Harness.Target.SWITCHBOARD, Harness.Target.NAIVE, Harness.Target.VERTX,
                Harness.Target.TCP_FLOOR)) {
            assertThat(peers.missing(t)).as("%s", t).isNull();
        }
    }

    @Test
    void theNodePeerRunsServerJsWithTheFoundNodeAndTheJvmPeersFromTheBenchmarksJar() throws Exception {
        tool("node", "20.11.1");
        Path root = Path.of("/repo");
        PeerServers peers = new PeerServers(root, bin.toString());
        assertThat(peers.command(Harness.Target.NODE_WS, 4000, "java", List.of("-Xmx1g")))
                .containsExactly(bin.resolve("node").toString(), "/repo/benchmarks/peers/node-ws/server.js", "4000");
        assertThat(peers.command(Harness.Target.VERTX, 4000, "java", List.of("-Xmx1g"))).containsExactly("java",
                "-Xmx1g", "-cp", "/repo/bench/target/benchmarks.jar", VertxBroadcastServer.class.getName(), "4000");
        assertThat(peers.command(Harness.Target.NAIVE, 4000, "java", List.of())).endsWith(
                NaiveBroadcastServer.class.getName(), "4000", "1");
        assertThatThrownBy(() -> peers.command(Harness.Target.SWITCHBOARD, 4000, "java", List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void targetsAreNamedAsTheTablesAndTheTargetOptionSpellThem() {
        assertThat(Harness.Target.parse("node-ws")).isEqualTo(Harness.Target.NODE_WS);
        assertThat(Harness.Target.parse("NODE_WS")).isEqualTo(Harness.Target.NODE_WS);
        assertThat(Harness.Target.parse("vertx")).isEqualTo(Harness.Target.VERTX);
        assertThat(Harness.Target.parse("tcp_floor")).isEqualTo(Harness.Target.TCP_FLOOR);
        assertThat(Harness.Target.NODE_WS.label()).isEqualTo("node-ws");
        assertThatThrownBy(() -> Harness.Target.parse("uws")).hasMessage(
                "unknown target uws (use switchboard, naive, vertx, node-ws, tcp_floor)");
    }
}
