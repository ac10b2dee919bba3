package io.switchboard.server;

import io.switchboard.server.config.Hooks;
import io.switchboard.server.config.SwitchboardConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A cluster node in a JVM of its own, so that a test can kill it the way a machine dies ({@code kill -9}): no
 * shutdown hook, no goodbye to Redis, events still queued are gone. Started by {@link #start}; its
 * {@link #main} is the child's entry point.
 */
final class NodeProcess implements AutoCloseable {
    /** The line the child prints once it listens, followed by its port. */
    private static final String LISTENING = "switchboard-node-listening ";

    private final Process process;
    private final int port;

    private NodeProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts node {@code nodeId} with Redis as broker and stores, posting lifecycle events to {@code hooksUrl}. */
    static NodeProcess start(String nodeId, int redisPort, String hooksUrl) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                NodeProcess.class.getName(), nodeId, Integer.toString(redisPort), hooksUrl)
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null && !line.startsWith(LISTENING)) {
            // the child's log before it listens
        }
        if (line == null) {
            p.destroyForcibly();
            throw new IllegalStateException("node " + nodeId + " ended before it listened");
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
        }, "node-" + nodeId + "-output");
        drain.setDaemon(true);
        drain.start();
        return new NodeProcess(p, port);
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

    /** The test's node configuration with webhooks to {@code hooksUrl}, sent at once. */
    static SwitchboardConfig config(String nodeId, int redisPort, String hooksUrl) {
        SwitchboardConfig base = ClusterNodes.config(nodeId, ClusterNodes.cluster("redis", 10_000,
                Duration.ofSeconds(2)), redisPort, List.of());
        return base.toBuilder().hooks(Hooks.builder().url(hooksUrl).secret("cluster-hooks-secret-0123456789")
                .batchMaxDelay(Duration.ofMillis(10)).timeout(Duration.ofSeconds(1)).build()).build();
    }

    /** The child: args node id, Redis port, hooks URL. */
    public static void main(String[] args) throws Exception {
        SwitchboardServer server = SwitchboardServer.start(config(args[0], Integer.parseInt(args[1]), args[2]));
        System.out.println(LISTENING + server.port());
        System.out.flush();
        server.awaitTermination();
    }
}
