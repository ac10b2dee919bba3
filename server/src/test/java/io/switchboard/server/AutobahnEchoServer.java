package io.switchboard.server;

import io.switchboard.core.config.WebSocket;
import io.switchboard.server.config.Server;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.server.observability.Instrumentation;
import io.switchboard.server.observability.InboundMessages;
import java.io.File;
import java.net.InetAddress;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The server the Autobahn|Testsuite fuzzing client runs against (the {@code autobahn} profile, see
 * docs/conformance.md): the production server, started by {@link SwitchboardServer#start} with the production
 * initializer, router, upgrade guard, WebSocket stages, compression and {@code NettySession}. The one
 * test-specific part is at the very end: whole messages are echoed ({@link Instrumentation#withInboundMessages})
 * instead of going to the command handler. Limits are raised to what the suite sends, as an operator would
 * configure them; they are listed in docs/conformance.md.
 */
public final class AutobahnEchoServer {
    /** Case 9.x sends messages of up to 16 MiB. */
    static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

    /** Echoes a text message as text and a binary one as binary, through the session's own send path. */
    static final InboundMessages ECHO = (replies, text, content) -> replies.sendMessage(text, content.retain());

    private AutobahnEchoServer() {
    }

    /**
     * The plugin calls this inside Maven's JVM, whose class loader serves Maven's slf4j 1.x API before the
     * server's slf4j 2 (the first fluent log call throws {@code NoSuchMethodError}); so the server runs in a
     * JVM of its own, on the test class path, and lives as long as this call (or Maven) does.
     */
    public static void main(String[] args) throws Exception {
        if (args.length > 1 && IN_PROCESS.equals(args[1])) {
            serve(Integer.parseInt(args[0]));
            return;
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", testClassPath(), AutobahnEchoServer.class.getName(),
                args[0], IN_PROCESS).inheritIO().start();
        Runtime.getRuntime().addShutdownHook(new Thread(child::destroyForcibly, "autobahn-stop"));
        try {
            child.waitFor();
        } finally {
            child.destroyForcibly();
        }
    }

    private static final String IN_PROCESS = "--in-process";

    /** The class path the plugin loaded this class from (its own loader's URLs, not Maven's). */
    private static String testClassPath() throws Exception {
        if (AutobahnEchoServer.class.getClassLoader() instanceof URLClassLoader loader) {
            List<String> entries = new ArrayList<>();
            for (URL url : loader.getURLs()) {
                entries.add(Path.of(url.toURI()).toString());
            }
            return String.join(File.pathSeparator, entries);
        }
        return System.getProperty("java.class.path");
    }

    private static void serve(int port) throws Exception {
        SwitchboardServer server = SwitchboardServer.start(config(host(), port),
                Instrumentation.defaults().withInboundMessages(ECHO));
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "autobahn-stop"));
        server.awaitTermination();
    }

    static SwitchboardConfig config(String host, int port) {
        WebSocket ws = WebSocket.builder()
                .path("/") // the plugin connects to ws://host:port, so the suite asks for "/"
                .maxConnections(10_000)
                .maxFrameBytes(MAX_MESSAGE_BYTES)
                .maxMessageBytes(MAX_MESSAGE_BYTES)
                .maxQueuedBytes(1024 * 1024 * 1024) // a 16 MiB echo behind others must not count as slow
                .maxFragmentsPerMessage(1_000_000) // cases 9.3.1, 9.4.1: a 4 MiB message in 64-byte fragments
                .messageAssemblyTimeout(Duration.ofSeconds(60))
                .enableCompression(true)
                .build();
        SwitchboardConfig base = TestServers.with(ws);
        return base.toBuilder()
                .server(Server.builder().host(host).port(port).ioThreads(2).nodeId("autobahn").build())
                .security(TestServers.noAbuseLimits().toBuilder().allowedOrigins(List.of("*")).build())
                .build();
    }

    /**
     * The plugin connects to {@code InetAddress.getLocalHost()}'s address: that one when it is a loopback
     * address (127.0.0.1, or Debian's 127.0.1.1), else 127.0.0.1 (the run then fails to connect, and says so,
     * rather than listening on a public interface).
     */
    private static String host() {
        try {
            InetAddress local = InetAddress.getLocalHost();
            if (local.isLoopbackAddress()) {
                return local.getHostAddress();
            }
            System.err.println("autobahn: " + local + " is not a loopback address; listening on 127.0.0.1");
        } catch (UnknownHostException e) {
            // the plugin falls back to 127.0.0.1 too
        }
        return "127.0.0.1";
    }
}
