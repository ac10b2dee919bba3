package io.switchboard.server;

import io.switchboard.server.config.Hooks;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.testkit.JvmProcess;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A single node ({@link TestServers#config()}) in a JVM of its own ({@link JvmProcess}), posting lifecycle events
 * through a spool, so that a test can kill it the way a machine dies. Started by {@link #start}; its
 * {@link #main} is the child's entry point. (cluster-tests has a Redis-backed sibling, {@code NodeProcess}.)
 */
final class ServerProcess {
    private ServerProcess() {
    }

    /** Starts node {@code nodeId} posting lifecycle events to {@code hooksUrl} through the spool {@code spoolDir}. */
    static JvmProcess start(String nodeId, String hooksUrl, Path spoolDir) throws IOException {
        return JvmProcess.start("node " + nodeId, ServerProcess.class, nodeId, hooksUrl, spoolDir.toString());
    }

    /** The test configuration of node {@code nodeId}, with webhooks to {@code hooksUrl} spooled in {@code spoolDir}. */
    static SwitchboardConfig config(String nodeId, String hooksUrl, String spoolDir) {
        SwitchboardConfig base = TestServers.config();
        return base.toBuilder().server(base.server().toBuilder().nodeId(nodeId).build())
                .hooks(TestServers.hooks(Hooks.builder(), hooksUrl, "spool-hooks-secret-0123456789")
                        .spoolDir(spoolDir).build()).build();
    }

    /** The child: args node id, hooks URL, spool directory. */
    public static void main(String[] args) {
        SwitchboardServer server = SwitchboardServer.start(config(args[0], args[1], args[2]));
        JvmProcess.listening(server.port());
        server.awaitTermination();
    }
}
