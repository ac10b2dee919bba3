package io.switchboard.server;

import io.switchboard.server.config.Hooks;
import io.switchboard.server.config.SwitchboardConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A single node ({@link TestServers#config()}) in a JVM of its own, posting lifecycle events through a spool, so
 * that a test can kill it the way a machine dies ({@code kill -9}): no shutdown hook, no last flush. Started by
 * {@link #start}; its {@link #main} is the child's entry point. (cluster-tests has a Redis-backed sibling,
 * {@code NodeProcess}.)
 */
final class ServerProcess implements AutoCloseable {
    /** The line the child prints once it listens, followed by its port. */
    private static final String LISTENING = "switchboard-server-listening ";

    private final Process process;
    private final int port;

    private ServerProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts node {@code nodeId} posting lifecycle events to {@code hooksUrl} through the spool {@code spoolDir}. */
    static ServerProcess start(String nodeId, String hooksUrl, Path spoolDir) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                ServerProcess.class.getName(), nodeId, hooksUrl, spoolDir.toString())
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        StringBuilder log = new StringBuilder();
        while ((line = out.readLine()) != null && !line.startsWith(LISTENING)) {
            log.append(line).append('\n'); // the child's log before it listens, shown if it never does
        }
        if (line == null) {
            p.destroyForcibly();
            throw new IllegalStateException("node " + nodeId + " ended before it listened:\n" + log);
        }
        int port = Integer.parseInt(line.substring(LISTENING.length()).trim());
        // Read on, or the child blocks once the pipe is full.
        Thread drain = new Thread(() -> {
            try {
                while (out.readLine() != null) {
                    // discarded
                }
            } catch (IOException e) {
                // the child is gone
            }
        }, "server-" + nodeId + "-output");
        drain.setDaemon(true);
        drain.start();
        return new ServerProcess(p, port);
    }

    int port() {
        return port;
    }

    /** SIGKILL, and waits until the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the node did not die");
        }
    }

    /** Kills the node if it still runs. */
    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                kill();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    /** The test configuration of node {@code nodeId}, with webhooks to {@code hooksUrl} spooled in {@code spoolDir}. */
    static SwitchboardConfig config(String nodeId, String hooksUrl, String spoolDir) {
        SwitchboardConfig base = TestServers.config();
        return base.toBuilder().server(base.server().toBuilder().nodeId(nodeId).build())
                .hooks(Hooks.builder().url(hooksUrl).secret("spool-hooks-secret-0123456789").spoolDir(spoolDir)
                        .batchMaxDelay(Duration.ofMillis(10)).timeout(Duration.ofSeconds(1)).build()).build();
    }

    /** The child: args node id, hooks URL, spool directory. */
    public static void main(String[] args) {
        SwitchboardServer server = SwitchboardServer.start(config(args[0], args[1], args[2]));
        System.out.println(LISTENING + server.port());
        System.out.flush();
        server.awaitTermination();
    }
}
