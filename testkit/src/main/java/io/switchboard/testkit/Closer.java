package io.switchboard.testkit;

import java.util.ArrayDeque;
import java.util.Deque;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What a test opened (processes, nodes, clients, proxies), closed after each test newest first, so that what
 * was started on top of something goes before it, and a failing test leaves nothing running. Register it with
 * {@code @RegisterExtension final Closer closer = new Closer();} and wrap each resource as it opens:
 * {@code redis = closer.add(RedisServerProcess.start(false))}.
 *
 * <p>Every resource is closed even when one of them throws; the first failure is rethrown with the others
 * suppressed. Thread-safe: tests that open clients from several threads register them from those threads.
 */
public final class Closer implements AfterEachCallback {
    private final Deque<AutoCloseable> open = new ArrayDeque<>();

    /** Registers {@code resource} to be closed after the test, before everything registered earlier. */
    public synchronized <T extends AutoCloseable> T add(T resource) {
        open.push(resource);
        return resource;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        close();
    }

    /** Closes everything registered so far, newest first. */
    public void close() throws Exception {
        Exception failure = null;
        while (true) {
            AutoCloseable next;
            synchronized (this) {
                next = open.poll();
            }
            if (next == null) {
                break;
            }
            try {
                next.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
