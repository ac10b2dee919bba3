package io.switchboard.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assertions;

/**
 * A real {@code nats-server} on a free loopback port, never the shared one on 4222: start, SIGKILL,
 * SIGSTOP/SIGCONT, restart on the same port. Closing it kills the process; a shutdown hook does the same
 * if a test run dies first, so no server outlives the JVM. Its log goes to
 * {@code target/nats-server-<port>.log} of the module under test.
 *
 * <p>Without {@code nats-server} on the PATH the calling test is skipped with an install hint, except
 * on CI (environment variable {@code CI} set), where that is a failure. Not thread-safe: one test
 * drives it.
 */
public final class NatsServerProcess implements AutoCloseable {
    public static final String BINARY = "nats-server";
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
        NatsServerProcess server = new NatsServerProcess(ExternalProcesses.freePort(), List.of(options));
        server.start();
        return server;
    }

    /** A free port and the server that will run there once {@link #start()} is called. */
    public static NatsServerProcess notStarted() {
        requireBinary();
        return new NatsServerProcess(ExternalProcesses.freePort(), List.of());
    }

    /** Skips the calling test (fails it on CI) when {@code nats-server} is not on the PATH. */
    public static void requireBinary() {
        ExternalProcesses.requireOnPath(BINARY, INSTALL_HINT);
    }

    /** {@code nats://127.0.0.1:port}. */
    public String url() {
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
        ExternalProcesses.signal(process, BINARY, "STOP");
    }

    /** SIGCONT after {@link #stop()}. */
    public void cont() {
        ExternalProcesses.signal(process, BINARY, "CONT");
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
            ExternalProcesses.removeHook(reaper);
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
        ExternalProcesses.kill9(process, BINARY);
    }

    private void awaitAccepting() {
        long deadline = System.nanoTime() + READY.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                Assertions.fail(BINARY + " exited with " + process.exitValue() + " before accepting on " + port
                        + "; log: " + ExternalProcesses.tail(logFile, 2000));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return;
            } catch (IOException notYet) {
                pause();
            }
        }
        destroy();
        Assertions.fail(BINARY + " did not accept on " + port + " within " + READY + "; log: "
                + ExternalProcesses.tail(logFile, 2000));
    }

    private static void pause() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
