package io.switchboard.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A program of the test's own classpath in a JVM of its own, so that a test can kill it the way a machine dies
 * ({@code kill -9}): no shutdown hook, no last flush. The child's {@code main} calls {@link #listening} once it
 * listens; {@link #start} returns then, with that port, and reads the child's output on, so that the child never
 * blocks on a full pipe. Closing kills the child if it still runs. Not thread-safe: one test thread drives it.
 */
public final class JvmProcess implements AutoCloseable {
    /** The line the child prints once it listens, followed by its port. */
    private static final String LISTENING = "switchboard-test-jvm-listening ";

    private final String name;
    private final Process process;
    private final int port;

    private JvmProcess(String name, Process process, int port) {
        this.name = name;
        this.process = process;
        this.port = port;
    }

    /**
     * Runs {@code main} with {@code args} and waits until it has called {@link #listening}.
     *
     * @param name what the child is, in failure messages and thread names
     * @throws IllegalStateException with the child's output when it ends without having listened
     */
    public static JvmProcess start(String name, Class<?> main, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        StringBuilder log = new StringBuilder();
        while ((line = out.readLine()) != null && !line.startsWith(LISTENING)) {
            log.append(line).append('\n'); // the child's output before it listens, shown if it never does
        }
        if (line == null) {
            p.destroyForcibly();
            throw new IllegalStateException(name + " ended before it listened:\n" + log);
        }
        int port = Integer.parseInt(line.substring(LISTENING.length()).trim());
        Thread drain = new Thread(() -> {
            try {
                while (out.readLine() != null) {
                    // discarded
                }
            } catch (IOException e) {
                // the child is gone
            }
        }, name + "-output");
        drain.setDaemon(true);
        drain.start();
        return new JvmProcess(name, p, port);
    }

    /** In the child: tells {@link #start} that it listens on {@code port}. */
    public static void listening(int port) {
        System.out.println(LISTENING + port);
        System.out.flush();
    }

    /** The port the child listens on. */
    public int port() {
        return port;
    }

    /** SIGKILL, and waits until the process is gone; a no-op when it no longer runs. */
    public void kill() {
        ExternalProcesses.kill9(process, name);
    }

    /** Kills the child if it still runs. */
    @Override
    public void close() {
        kill();
    }
}
