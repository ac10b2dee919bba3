package io.switchboard.bench;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How the harness starts the servers it compares Switchboard with ({@link Harness.Target}s other than
 * Switchboard), and whether the runtime a peer needs is on this machine. The JVM peers run from
 * {@code benchmarks.jar}; the Node {@code ws} peer runs from {@value #NODE_WS_DIR}, installed there with
 * {@code npm ci} on its first use.
 *
 * <p>Not thread-safe: used by the harness's one thread.
 */
final class PeerServers {
    /** The Node ws peer's directory, relative to the repository root. */
    static final String NODE_WS_DIR = "benchmarks/peers/node-ws";
    private static final int NODE_MAJOR = 20;
    /** How long {@code npm ci} may take: one small package, from the registry or npm's cache. */
    private static final long NPM_CI_TIMEOUT_MINUTES = 5;

    private final Path root;
    /** Where tools are looked up: a {@code PATH}-style list of directories. */
    private final String searchPath;
    /** Whether {@code npm ci} already ran (or was found unnecessary) in this harness run. */
    private boolean nodeWsInstalled;

    /** Peers of the repository at {@code root}, their runtimes looked up on the {@code PATH}. */
    PeerServers(Path root) {
        this(root, System.getenv().getOrDefault("PATH", ""));
    }

    /** Peers of the repository at {@code root}, their runtimes looked up in {@code searchPath} (a {@code PATH} value). */
    PeerServers(Path root, String searchPath) {
        this.root = root;
        this.searchPath = searchPath;
    }

    /** The JVM peers' main classes; null for a target that is not one. */
    static Class<?> jvmMain(Harness.Target target) {
        return switch (target) {
            case NAIVE -> NaiveBroadcastServer.class;
            case VERTX -> VertxBroadcastServer.class;
            case TCP_FLOOR -> TcpEchoServer.class;
            case SWITCHBOARD, NODE_WS -> null;
        };
    }

    /**
     * Why {@code target} cannot run on this machine, with what to install; null when it can. Only the
     * Node peer needs anything the build does not bring: {@code node} 20+ and {@code npm} on the PATH.
     */
    String missing(Harness.Target target) {
        if (target != Harness.Target.NODE_WS) {
            return null;
        }
        String hint = "install Node.js " + NODE_MAJOR + "+ with npm (Debian: apt-get install -y nodejs npm)";
        Path node = find("node", searchPath);
        if (node == null || find("npm", searchPath) == null) {
            return "node or npm not on the PATH: " + hint;
        }
        String version = output(List.of(node.toString(), "-p", "process.versions.node"));
        if (version == null) {
            return "node did not start: " + hint;
        }
        int major;
        try {
            major = Integer.parseInt(version.strip().split("\\.")[0]);
        } catch (NumberFormatException e) {
            return "node reported version " + version.strip() + ": " + hint;
        }
        return major >= NODE_MAJOR ? null : "node " + version.strip() + " is older than " + NODE_MAJOR + ": " + hint;
    }

    /**
     * Makes {@code target} ready to start: for the Node peer, {@code npm ci} in {@value #NODE_WS_DIR}
     * unless its {@code node_modules} is already there and newer than the lock file. Output goes to
     * {@code log}. Throws when the install failed.
     */
    void prepare(Harness.Target target, Path log) throws IOException, InterruptedException {
        if (target != Harness.Target.NODE_WS || nodeWsInstalled) {
            return;
        }
        Path dir = root.resolve(NODE_WS_DIR);
        Path installed = dir.resolve("node_modules/.package-lock.json");
        if (!Files.isRegularFile(installed) || Files.getLastModifiedTime(installed)
                .compareTo(Files.getLastModifiedTime(dir.resolve("package-lock.json"))) < 0) {
            Process npm = new ProcessBuilder(tool("npm").toString(), "ci", "--no-audit", "--no-fund", "--loglevel=error")
                    .directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            if (!npm.waitFor(NPM_CI_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                npm.destroyForcibly();
                throw new IOException("npm ci in " + dir + " took over " + NPM_CI_TIMEOUT_MINUTES + " minutes");
            }
            if (npm.exitValue() != 0) {
                throw new IOException("npm ci in " + dir + " exited with " + npm.exitValue() + " (see " + log + ")");
            }
        }
        nodeWsInstalled = true;
    }

    /** The command that starts {@code target} (not Switchboard) on 127.0.0.1:{@code port}, after the JVM's options. */
    List<String> command(Harness.Target target, int port, String java, List<String> jvmOptions) {
        if (target == Harness.Target.NODE_WS) {
            // Node's defaults, as the ws README runs its servers: one process, one thread running JavaScript.
            return List.of(tool("node").toString(), root.resolve(NODE_WS_DIR).resolve("server.js").toString(), String.valueOf(port));
        }
        Class<?> main = jvmMain(target);
        if (main == null) {
            throw new IllegalArgumentException(target + " is not a peer");
        }
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", root.resolve("bench/target/benchmarks.jar").toString(), main.getName(),
                String.valueOf(port)));
        if (target != Harness.Target.VERTX) {
            cmd.add("1"); // one Netty event loop, as Switchboard runs with server.ioThreads=1
        }
        return cmd;
    }

    /** Whether {@code tool} is an executable on this process's {@code PATH}. */
    static boolean onPath(String tool) {
        return find(tool, System.getenv().getOrDefault("PATH", "")) != null;
    }

    /** The first executable {@code tool} in {@code searchPath}, or null. */
    static Path find(String tool, String searchPath) {
        for (String dir : searchPath.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return Path.of(dir, tool);
            }
        }
        return null;
    }

    private Path tool(String name) {
        Path found = find(name, searchPath);
        if (found == null) {
            throw new IllegalStateException(name + " is not on the PATH (checked by missing() first)");
        }
        return found;
    }

    /** A short command's standard output, or null when it failed. */
    private static String output(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? new String(out, StandardCharsets.UTF_8) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
