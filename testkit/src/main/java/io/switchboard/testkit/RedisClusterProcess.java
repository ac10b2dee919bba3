package io.switchboard.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;

/**
 * A private Redis Cluster for tests: {@code masters} masters with {@code replicas} replicas each, every node a
 * {@link RedisServerProcess} on a free loopback port, joined with {@code redis-cli --cluster create} and ready
 * once every node reports {@code cluster_state:ok} and every replica is in sync. Closing it kills every node and
 * deletes their directories.
 *
 * <p>Without {@code redis-server} or {@code redis-cli} on the PATH the calling test is skipped with an install
 * hint, except on CI (environment variable {@code CI} set), where that is a failure. Not thread-safe.
 */
public final class RedisClusterProcess implements AutoCloseable {
    static final String CLI = "redis-cli";
    private static final Duration CREATE = Duration.ofSeconds(60);
    private static final Duration READY = Duration.ofSeconds(30);

    private final List<RedisServerProcess> nodes = new ArrayList<>();

    private RedisClusterProcess() {
    }

    /**
     * A started cluster whose nodes call a silent peer failing after {@code nodeTimeout}: with replicas, a killed
     * master is replaced by its replica a little after that.
     */
    public static RedisClusterProcess start(int masters, int replicas, Duration nodeTimeout) throws Exception {
        RedisServerProcess.requireRedisServer();
        ExternalProcesses.requireOnPath(CLI, RedisServerProcess.MISSING);
        RedisClusterProcess cluster = new RedisClusterProcess();
        try {
            for (int i = 0; i < masters * (1 + replicas); i++) {
                cluster.nodes.add(RedisServerProcess.startClusterNode(nodeTimeout));
            }
            cluster.create(replicas);
            Await.until("every node of the Redis Cluster reports cluster_state:ok", READY, cluster::allOk);
            return cluster;
        } catch (Exception | AssertionError e) {
            cluster.close();
            throw e;
        }
    }

    private void create(int replicas) throws Exception {
        List<String> command = new ArrayList<>(List.of(CLI, "--cluster", "create"));
        nodes.forEach(n -> command.add("127.0.0.1:" + n.port()));
        command.addAll(List.of("--cluster-replicas", Integer.toString(replicas), "--cluster-yes"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(CREATE.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            Assertions.fail("redis-cli --cluster create did not finish within " + CREATE);
        }
        if (p.exitValue() != 0) {
            Assertions.fail("redis-cli --cluster create failed: " + new String(out, StandardCharsets.UTF_8));
        }
    }

    private boolean allOk() {
        for (RedisServerProcess node : nodes) {
            String info = call(node, "CLUSTER", "INFO");
            if (!info.contains("cluster_state:ok")) {
                return false;
            }
            String replication = call(node, "INFO", "replication");
            if (replication.contains("role:slave") && !replication.contains("master_link_status:up")) {
                return false;
            }
        }
        return true;
    }

    /** Seed addresses as {@code host:port}, for {@code redis.nodes}. */
    public List<String> addresses() {
        return nodes.stream().map(n -> "127.0.0.1:" + n.port()).toList();
    }

    /** The node serving {@code key}'s slot as master now, asked of a node that is up. */
    public RedisServerProcess masterOf(String key) {
        for (RedisServerProcess asked : nodes) {
            String slotReply = call(asked, "CLUSTER", "KEYSLOT", key);
            if (!slotReply.startsWith(":")) {
                continue;
            }
            int slot = Integer.parseInt(slotReply.substring(1));
            for (String line : call(asked, "CLUSTER", "NODES").split("\n")) {
                String[] f = line.trim().split(" ");
                if (f.length < 9 || !f[2].contains("master") || f[2].contains("fail")) {
                    continue;
                }
                for (int i = 8; i < f.length; i++) {
                    String[] range = f[i].split("-");
                    if (range[0].startsWith("[")) {
                        continue;
                    }
                    int from = Integer.parseInt(range[0]);
                    int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
                    if (slot >= from && slot <= to) {
                        return byPort(Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1, f[1].indexOf('@'))));
                    }
                }
            }
        }
        throw new IllegalStateException("no master serves " + key);
    }

    /** The masters now serving slots, in node order. */
    public List<RedisServerProcess> masters() {
        return nodes.stream().filter(n -> call(n, "INFO", "replication").contains("role:master")).toList();
    }

    /** Whether {@code node}'s slots are served by another master, as a surviving node sees it. */
    public boolean replaced(RedisServerProcess node) {
        for (RedisServerProcess asked : nodes) {
            if (asked == node) {
                continue;
            }
            String info = call(asked, "CLUSTER", "INFO");
            if (!info.isEmpty()) {
                return info.contains("cluster_state:ok")
                        && call(asked, "CLUSTER", "NODES").lines().anyMatch(l -> l.contains(":" + node.port() + "@")
                        && (l.contains("fail") || l.contains("slave")));
            }
        }
        return false;
    }

    private RedisServerProcess byPort(int port) {
        return nodes.stream().filter(n -> n.port() == port).findFirst()
                .orElseThrow(() -> new IllegalStateException("no node on port " + port));
    }

    private static String call(RedisServerProcess node, String... args) {
        try {
            return node.call(args);
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        nodes.forEach(RedisServerProcess::close);
    }
}
