package io.switchboard.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/** What the server process fixtures share: the binary check, a free port, signals, a forced stop. Stateless. */
public final class ExternalProcesses {
    private ExternalProcesses() {
    }

    /**
     * Skips the calling test when {@code binary} is not on the PATH, with {@code installHint}; on CI
     * (environment variable {@code CI} set) a missing binary fails the test instead.
     */
    public static void requireOnPath(String binary, String installHint) {
        if (onPath(binary)) {
            return;
        }
        if (System.getenv("CI") != null) {
            Assertions.fail(binary + " is not on the PATH on CI: " + installHint);
        }
        Assumptions.abort(installHint);
    }

    static boolean onPath(String binary) {
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

    /** A loopback port that was free a moment ago (the kernel does not hand it out again at once). */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends {@code kill -NAME pid} and waits for it; fails when the process is not running. */
    static void signal(Process process, String binary, String name) {
        if (process == null || !process.isAlive()) {
            throw new IllegalStateException(binary + " is not running");
        }
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted sending SIG" + name + " to " + binary, e);
        }
    }

    /** SIGKILL (which also ends a SIGSTOPped process) and wait until it is gone; a no-op when not running. */
    static void kill9(Process process, String binary) {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroyForcibly();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException(binary + " pid " + process.pid() + " survived SIGKILL for 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + binary + " to die", e);
        }
    }

    /** The last {@code maxChars} of a log file, for failure messages. */
    static String tail(Path log, int maxChars) {
        try {
            String text = Files.readString(log);
            return text.substring(Math.max(0, text.length() - maxChars));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Removes a shutdown hook unless the JVM is already running the hooks (then the hook does the work). */
    static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs (or ran) itself
        }
    }
}
