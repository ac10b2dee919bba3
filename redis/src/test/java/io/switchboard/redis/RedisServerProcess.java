package io.switchboard.redis;

import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A private redis-server for tests: its own free port on 127.0.0.1 and its own directory, never the
 * shared Redis on 6379. Can be killed with SIGKILL, frozen with SIGSTOP, thawed with SIGCONT and
 * restarted on the same port and directory (so an append-only file survives). Closing it kills the
 * process and deletes the directory; a JVM shutdown hook does the same if a test forgets. Not
 * thread-safe: one test thread drives it.
 */
public final class RedisServerProcess implements AutoCloseable {
    static final String MISSING = "install redis-server (apt-get install redis-server) to run the Redis tests";
    private static final Duration READY = Duration.ofSeconds(10);

    private final int port;
    private final boolean appendOnly;
    private final Path dir;
    private final Thread reaper = new Thread(this::destroy, "redis-server-reaper");
    private Process process;

    private RedisServerProcess(int port, boolean appendOnly, Path dir) {
        this.port = port;
        this.appendOnly = appendOnly;
        this.dir = dir;
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /** A started server with the append-only file on or off. */
    public static RedisServerProcess start(boolean appendOnly) throws Exception {
        RedisServerProcess redis = create(appendOnly);
        try {
            redis.restart();
            return redis;
        } catch (Exception | AssertionError e) {
            redis.close();
            throw e;
        }
    }

    /** A server with a port and directory of its own, not started: {@link #restart()} starts it. */
    public static RedisServerProcess create(boolean appendOnly) throws IOException {
        requireRedisServer();
        return new RedisServerProcess(freePort(), appendOnly, Files.createTempDirectory("switchboard-redis-"));
    }

    /** Skips the calling test class when redis-server is missing, or fails it on CI. */
    public static void requireRedisServer() {
        if (onPath("redis-server")) {
            return;
        }
        if (System.getenv("CI") != null) {
            fail(MISSING);
        }
        Assumptions.abort(MISSING);
    }

    public int port() {
        return port;
    }

    /** Settings pointing at this server, with the key prefix {@code test:}. */
    public RedisSettings settings() {
        return RedisSettings.builder().host("127.0.0.1").port(port).keyPrefix("test:").build();
    }

    /** (Re)starts the server on its port and directory and waits until it answers PING. */
    public void restart() throws Exception {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("redis-server is still running");
        }
        List<String> command = List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", appendOnly ? "yes" : "no",
                // Every write on disk before the reply: kill -9 loses nothing that was acknowledged.
                "--appendfsync", "always", "--dir", dir.toString(),
                "--daemonize", "no");
        File logFile = dir.resolve("redis.log").toFile();
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile)).start();
        long deadline = System.nanoTime() + READY.toNanos();
        while (!"+PONG".equals(tryCall("PING"))) {
            if (!process.isAlive()) {
                fail("redis-server on port %d exited with %d: %s", port, process.exitValue(), Files.readString(logFile.toPath()));
            }
            if (System.nanoTime() > deadline) {
                fail("redis-server on port %d did not answer PING within %s", port, READY);
            }
            Thread.sleep(20);
        }
    }

    /** SIGKILL: no shutdown, no final write; waits until the process is gone. */
    public void kill9() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                fail("redis-server did not die of SIGKILL");
            }
        }
    }

    /** SIGSTOP: the server keeps its sockets open and stops answering. */
    public void stop() throws Exception {
        signal("STOP");
    }

    /** SIGCONT: the server carries on where it stopped. */
    public void cont() throws Exception {
        signal("CONT");
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

    @Override
    public void close() {
        destroy();
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException shuttingDown) {
            // already running the hooks: the reaper does the same
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e);
        }
    }

    private void destroy() {
        Process p = process;
        if (p != null && p.isAlive()) {
            p.destroyForcibly(); // SIGKILL also ends a SIGSTOPped process
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            fail("kill -%s %d failed", name, process.pid());
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

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
