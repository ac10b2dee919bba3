package io.switchboard.cli;

import io.switchboard.core.config.ConfigException;
import io.switchboard.server.SwitchboardServer;
import io.switchboard.server.config.SwitchboardConfig;
import io.switchboard.server.node.StartException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code switchboard serve}: runs one node until SIGTERM or SIGINT, then drains (server_shutdown and
 * close 1012 to every client over {@code shutdown.drainTimeout}) and exits 0. A second signal during
 * the drain stops at once.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Run a Switchboard node: WebSocket endpoint, health, stats and the backend API on one port.",
            "",
            "Configuration precedence: built-in defaults < --config file < SWITCHBOARD_* environment "
                + "variables < flags. Every key is listed in docs/configuration.md.",
            ""},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:stopped by SIGTERM/SIGINT after draining",
            "1:could not start (port in use, address not available)",
            "2:invalid configuration or flags"})
final class ServeCommand implements Callable<Integer> {
    static final int EXIT_START_FAILED = 1;
    static final int EXIT_BAD_CONFIG = 2;

    @Spec
    private CommandSpec spec;

    @Option(names = "--host", paramLabel = "ADDRESS",
            description = "Address to listen on (server.host; default 0.0.0.0, all interfaces).")
    private String host;

    @Option(names = "--port", paramLabel = "PORT",
            description = "TCP port to listen on (server.port; default 8080; 0 picks a free port).")
    private String port;

    @Mixin
    private ConfigOptions options;

    @Option(names = "--log-format", paramLabel = "FORMAT",
            description = "Log output: text (default, human-readable) or json (one JSON object per line: "
                + "ts, level, logger, thread, msg, and fields such as connId, userId, remote).")
    private LogFormat logFormat = LogFormat.text;


    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        if (logFormat != LogFormat.text) {
            logFormat.apply();
        }
        SwitchboardConfig config;
        try {
            config = options.load(System.getenv(), flags());
        } catch (ConfigException e) {
            err.println("switchboard: " + e.getMessage());
            err.flush();
            return EXIT_BAD_CONFIG;
        }
        SwitchboardServer server;
        try {
            server = SwitchboardServer.start(config);
            LoggerFactory.getLogger(ServeCommand.class).info("config: {}", options.file == null
                    ? "built-in defaults (choose a file with --config; see switchboard.example.yaml)"
                    : options.file.toAbsolutePath());
        } catch (StartException e) {
            err.println("switchboard: " + e.getMessage());
            err.flush();
            return EXIT_START_FAILED;
        }
        AtomicBoolean signalled = new AtomicBoolean();
        Runnable onSignal = () -> {
            if (signalled.compareAndSet(false, true)) {
                server.shutdown(config.shutdown().drainTimeout());
            } else {
                server.hastenShutdown();
            }
        };
        Signals.onTerminate(onSignal);
        server.awaitTermination();
        return 0;
    }

    /** {@code --host} and {@code --port} as the keys they stand for. */
    private Map<String, String> flags() {
        Map<String, String> out = new LinkedHashMap<>();
        if (host != null) {
            out.put("server.host", host);
        }
        if (port != null) {
            out.put("server.port", port);
        }
        return out;
    }
}
