package io.switchboard.nats;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code nats-server} on a free loopback port, never the shared one on 4222: start, SIGKILL,
 * SIGSTOP/SIGCONT, restart on the same port. Closing it kills the process; a shutdown hook does the same
 * if a test run dies first, so no server outlives the JVM. Not thread-safe: one test drives it.
 *
 * <p>Without {@code nats-server} on the PATH the tests are skipped, except on CI (env {@code CI} set),
 * where that is a failure.
 */
public final class NatsServerProcess implements AutoCloseable {
    static final String BINARY = "nats-server";
    private static final String INSTALL_HINT = "install nats-server (apt-get install nats-server) to run the NATS tests";
    private static final Duration READY = Duration.ofSeconds(10);

    private final int port;
    /** Further command-line options, e.g. {@code --auth <token>}. */
    private final List<String> options;
    private final Path logFile;
    private final Thread reaper = new Thread(this::destroy, "nats-server-reaper");
    private Process process;
    private boolean hookAdded;

    private NatsServerProcess(int port, List<String> options) {
        this.port = port;
        this.options = List.copyOf(options);
        this.logFile = Path.of("target", "nats-server-" + port + ".log");
    }

    /** A server running on a free port. */
    public static NatsServerProcess started() {
        NatsServerProcess server = notStarted();
        server.start();
        return server;
    }

    /** A server running on a free port with these further options, e.g. {@code --auth <token>}. */
    public static NatsServerProcess startedWith(String... options) {
        requireBinary();
        NatsServerProcess server = new NatsServerProcess(freePort(), List.of(options));
        server.start();
        return server;
    }

    /** A free port and the server that will run there once {@link #start()} is called. */
    public static NatsServerProcess notStarted() {
        requireBinary();
        return new NatsServerProcess(freePort(), List.of());
    }

    /** Skips the calling test (fails it on CI) when {@code nats-server} is not on the PATH. */
    public static void requireBinary() {
        boolean found = onPath(BINARY);
        if (!found && System.getenv("CI") != null) {
            fail(BINARY + " is not on the PATH on CI: " + INSTALL_HINT);
        }
        assumeTrue(found, INSTALL_HINT);
    }

    String url() {
        return "nats://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    /** Starts the server and waits until its port accepts connections. */
    public void start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("already running on " + port);
        }
        try {
            Files.createDirectories(logFile.getParent());
            List<String> command = new ArrayList<>(List.of(BINARY, "-a", "127.0.0.1", "-p", Integer.toString(port)));
            command.addAll(options);
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + BINARY, e);
        }
        if (!hookAdded) {
            Runtime.getRuntime().addShutdownHook(reaper);
            hookAdded = true;
        }
        awaitAccepting();
    }

    /** SIGKILL: the server vanishes without a goodbye, as in a crash. */
    public void kill9() {
        destroy();
    }

    /** SIGSTOP: the process freezes; its sockets stay open and the kernel still accepts connections. */
    public void stop() {
        signal("-STOP");
    }

    /** SIGCONT after {@link #stop()}. */
    public void cont() {
        signal("-CONT");
    }

    /** Kills the server if it runs, then starts a new one on the same port. */
    public void restart() {
        destroy();
        start();
    }

    @Override
    public void close() {
        destroy();
        if (hookAdded) {
            try {
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (IllegalStateException e) {
                // The JVM is already shutting down; the hook runs (or ran) destroy() itself.
            }
            hookAdded = false;
        }
    }

    /** Number of {@code nats-server} processes this JVM started that still run. */
    public static long running() {
        return ProcessHandle.current().descendants()
                .filter(p -> p.info().command().map(c -> c.endsWith("/" + BINARY)).orElse(false))
                .count();
    }

    private void destroy() {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroyForcibly(); // SIGKILL, which also ends a SIGSTOPped process
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                throw new IllegalStateException(BINARY + " pid " + p.pid() + " survived SIGKILL for 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + BINARY + " to die", e);
        }
    }

    private void signal(String signal) {
        if (process == null || !process.isAlive()) {
            throw new IllegalStateException(BINARY + " on " + port + " is not running");
        }
        try {
            Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start();
            if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill " + signal + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted sending " + signal, e);
        }
    }

    private void awaitAccepting() {
        long deadline = System.nanoTime() + READY.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail(BINARY + " exited with " + process.exitValue() + " before accepting on " + port + "; log: "
                        + logTail());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return;
            } catch (IOException notYet) {
                sleep(20);
            }
        }
        destroy();
        fail(BINARY + " did not accept on " + port + " within " + READY + "; log: " + logTail());
    }

    private String logTail() {
        try {
            String log = Files.readString(logFile);
            return log.substring(Math.max(0, log.length() - 2000));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean onPath(String binary) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, binary))) {
                return true;
            }
        }
        return false;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
