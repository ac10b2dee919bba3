package io.switchboard.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;

/**
 * A private redis-server for tests: its own free port on 127.0.0.1 and its own directory, never the
 * shared Redis on 6379. Can be killed with SIGKILL, frozen with SIGSTOP, thawed with SIGCONT and
 * restarted on the same port and directory (so an append-only file survives). It can also run as a
 * replica of another, as a Sentinel watching one, or as a Redis Cluster node ({@link #startReplicaOf},
 * {@link #startSentinel}, {@link #startClusterNode}). Closing it kills the
 * process and deletes the directory; a JVM shutdown hook does the same if a test forgets.
 *
 * <p>Without {@code redis-server} on the PATH the calling test is skipped with an install hint, except
 * on CI (environment variable {@code CI} set), where that is a failure. Not thread-safe: one test
 * thread drives it.
 */
public final class RedisServerProcess implements AutoCloseable {
    public static final String BINARY = "redis-server";
    static final String MISSING = "install redis-server (apt-get install redis-server) to run the Redis tests";
    private static final Duration READY = Duration.ofSeconds(10);

    private final int port;
    private final boolean appendOnly;
    private final Path dir;
    private final Thread reaper = new Thread(this::destroy, "redis-server-reaper");
    /** Arguments after the common ones: a replica's {@code --replicaof}. */
    private final List<String> extra;
    /** A Sentinel's configuration file (Sentinels rewrite theirs), or null for a data server. */
    private final String sentinelConfig;
    private Process process;

    private RedisServerProcess(int port, boolean appendOnly, Path dir, List<String> extra, String sentinelConfig) {
        this.port = port;
        this.appendOnly = appendOnly;
        this.dir = dir;
        this.extra = extra;
        this.sentinelConfig = sentinelConfig;
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /**
     * A started server that also accepts TLS on {@link #tlsPort()}, with this certificate and key (PEM),
     * without asking clients for certificates. The plain port stays open for the test's own calls.
     */
    public static RedisServerProcess startWithTls(Path certFile, Path keyFile) throws Exception {
        requireRedisServer();
        int tlsPort = ExternalProcesses.freePort();
        return started(new RedisServerProcess(ExternalProcesses.freePort(), false,
                Files.createTempDirectory("switchboard-redis-"),
                List.of("--tls-port", Integer.toString(tlsPort), "--tls-cert-file", certFile.toString(),
                        "--tls-key-file", keyFile.toString(), "--tls-auth-clients", "no"), null));
    }

    /** The TLS port of a server made by {@link #startWithTls}. */
    public int tlsPort() {
        int i = extra.indexOf("--tls-port");
        if (i < 0) {
            throw new IllegalStateException("this redis-server has no TLS port");
        }
        return Integer.parseInt(extra.get(i + 1));
    }

    /**
     * A started, append-only Redis Cluster node that has joined no cluster yet ({@link RedisClusterProcess} makes
     * one of several): it calls a silent peer failing after {@code nodeTimeout}.
     */
    public static RedisServerProcess startClusterNode(Duration nodeTimeout) throws Exception {
        requireRedisServer();
        return started(new RedisServerProcess(ExternalProcesses.freePort(), true,
                Files.createTempDirectory("switchboard-rcluster-"),
                // The bus port explicitly: the default, port + 10000, may be taken or beyond 65535.
                List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                        "--cluster-port", Integer.toString(ExternalProcesses.freePort()),
                        "--cluster-node-timeout", Long.toString(nodeTimeout.toMillis())), null));
    }

    /** A started replica of {@code master}, append-only like it. */
    public static RedisServerProcess startReplicaOf(RedisServerProcess master) throws Exception {
        requireRedisServer();
        return started(new RedisServerProcess(ExternalProcesses.freePort(), master.appendOnly,
                Files.createTempDirectory("switchboard-redis-"),
                List.of("--replicaof", "127.0.0.1", Integer.toString(master.port)), null));
    }

    /**
     * A started Sentinel monitoring {@code master} as {@code masterName}: it calls a master down after
     * {@code downAfter} without answers, once {@code quorum} Sentinels agree, and fails over.
     */
    public static RedisServerProcess startSentinel(RedisServerProcess master, String masterName, int quorum,
                                                   Duration downAfter) throws Exception {
        requireRedisServer();
        int port = ExternalProcesses.freePort();
        String config = String.join("\n",
                "port " + port,
                "bind 127.0.0.1",
                "sentinel monitor " + masterName + " 127.0.0.1 " + master.port + " " + quorum,
                "sentinel down-after-milliseconds " + masterName + " " + downAfter.toMillis(),
                "sentinel failover-timeout " + masterName + " " + Math.max(3000, 3 * downAfter.toMillis()),
                "sentinel parallel-syncs " + masterName + " 1", "");
        return started(new RedisServerProcess(port, false, Files.createTempDirectory("switchboard-sentinel-"),
                List.of(), config));
    }

    private static RedisServerProcess started(RedisServerProcess redis) throws Exception {
        try {
            redis.restart();
            return redis;
        } catch (Exception | AssertionError e) {
            redis.close();
            throw e;
        }
    }

    /** A started server with the append-only file on or off. */
    public static RedisServerProcess start(boolean appendOnly) throws Exception {
        return started(create(appendOnly));
    }

    /** A server with a port and directory of its own, not started: {@link #restart()} starts it. */
    public static RedisServerProcess create(boolean appendOnly) throws IOException {
        requireRedisServer();
        return new RedisServerProcess(ExternalProcesses.freePort(), appendOnly,
                Files.createTempDirectory("switchboard-redis-"), List.of(), null);
    }

    /** Skips the calling test when redis-server is missing, or fails it on CI. */
    public static void requireRedisServer() {
        ExternalProcesses.requireOnPath(BINARY, MISSING);
    }

    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:port}. */
    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** (Re)starts the server on its port and directory and waits until it answers PING. */
    public void restart() throws Exception {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("redis-server is still running");
        }
        List<String> command = new ArrayList<>();
        if (sentinelConfig != null) {
            Path conf = dir.resolve("sentinel.conf");
            if (!Files.exists(conf)) {
                Files.writeString(conf, sentinelConfig);
            }
            command.addAll(List.of(BINARY, conf.toString(), "--sentinel", "--dir", dir.toString()));
        } else {
            command.addAll(List.of(BINARY, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", appendOnly ? "yes" : "no",
                    // Every write on disk before the reply: kill -9 loses nothing that was acknowledged.
                    "--appendfsync", "always", "--dir", dir.toString(),
                    "--daemonize", "no"));
            command.addAll(extra);
        }
        Path log = dir.resolve("redis.log");
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + READY.toNanos();
        while (!"+PONG".equals(tryCall("PING"))) {
            if (!process.isAlive()) {
                Assertions.fail("redis-server on port " + port + " exited with " + process.exitValue() + ": "
                        + ExternalProcesses.tail(log, 4000));
            }
            if (System.nanoTime() > deadline) {
                Assertions.fail("redis-server on port " + port + " did not answer PING within " + READY);
            }
            Thread.sleep(20);
        }
    }

    /** SIGKILL: no shutdown, no final write; waits until the process is gone. */
    public void kill9() {
        ExternalProcesses.kill9(process, BINARY);
    }

    /** SIGSTOP: the server keeps its sockets open and stops answering. */
    public void stop() {
        ExternalProcesses.signal(process, BINARY, "STOP");
    }

    /** SIGCONT: the server carries on where it stopped. */
    public void cont() {
        ExternalProcesses.signal(process, BINARY, "CONT");
    }

    /**
     * Sends one command over a fresh connection and returns the reply: a bulk string's content, or the
     * first line of any other reply (":1", "+OK", "-ERR ...", "*3").
     */
    public String call(String... args) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            s.setSoTimeout(2000);
            StringBuilder out = new StringBuilder("*").append(args.length).append("\r\n");
            for (String a : args) {
                out.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
            }
            OutputStream os = s.getOutputStream();
            os.write(out.toString().getBytes(StandardCharsets.UTF_8));
            os.flush();
            InputStream in = s.getInputStream();
            String first = readLine(in);
            if (first.startsWith("$") && !first.equals("$-1")) {
                byte[] bulk = in.readNBytes(Integer.parseInt(first.substring(1)));
                return new String(bulk, StandardCharsets.UTF_8);
            }
            return first;
        }
    }

    /** Kills the process and deletes its directory. */
    @Override
    public void close() {
        destroy();
        ExternalProcesses.removeHook(reaper);
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e);
        }
    }

    private void destroy() {
        try {
            ExternalProcesses.kill9(process, BINARY);
        } catch (IllegalStateException e) {
            System.err.println(e.getMessage());
        }
    }

    private String tryCall(String... args) {
        try {
            return call(args);
        } catch (IOException e) {
            return null;
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.UTF_8);
    }
}
