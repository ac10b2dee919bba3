package io.switchboard.server;

import io.switchboard.server.config.Hooks;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.testkit.JvmProcess;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * A cluster node in a JVM of its own ({@link JvmProcess}), so that a test can kill it the way a machine dies: no
 * goodbye to Redis, events still queued are gone. Started by {@link #start}; its {@link #main} is the child's
 * entry point.
 */
final class NodeProcess {
    private NodeProcess() {
    }

    /** Starts node {@code nodeId} with Redis as broker and stores, posting lifecycle events to {@code hooksUrl}. */
    static JvmProcess start(String nodeId, int redisPort, String hooksUrl) throws IOException {
        return JvmProcess.start("node " + nodeId, NodeProcess.class, nodeId, Integer.toString(redisPort), hooksUrl);
    }

    /** The test's node configuration with webhooks to {@code hooksUrl}, sent at once. */
    static SwitchboardConfig config(String nodeId, int redisPort, String hooksUrl) {
        SwitchboardConfig base = ClusterNodes.config(nodeId, ClusterNodes.cluster("redis", 10_000,
                Duration.ofSeconds(2)), redisPort, List.of());
        return base.toBuilder().hooks(TestServers.hooks(Hooks.builder(), hooksUrl, "cluster-hooks-secret-0123456789")
                .build()).build();
    }

    /** The child: args node id, Redis port, hooks URL. */
    public static void main(String[] args) {
        SwitchboardServer server = SwitchboardServer.start(config(args[0], Integer.parseInt(args[1]), args[2]));
        JvmProcess.listening(server.port());
        server.awaitTermination();
    }
}
