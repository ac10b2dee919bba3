package io.switchboard.cli;

import io.switchboard.cli.bench.BenchOptions;
import io.switchboard.cli.bench.BenchResult;
import io.switchboard.cli.bench.Scenarios;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.Names;
import io.switchboard.server.config.ValueType;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code switchboard bench}: a load generator honest enough to publish numbers with. Fixed-rate
 * sending, latency from the intended send time (coordinated omission corrected) in an
 * HdrHistogram, a live progress line on stderr, results on stdout ({@code --json} for machines).
 * Refuses targets that are not loopback unless {@code --allow-remote}.
 *
 * <p>Runs on the calling thread; see {@link Scenarios} for the threads of a run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Load-test a Switchboard server (or any server speaking protocol v1).",
                "  echo    N connections send echo commands",
                "  fanout  N subscribers in R rooms, P publishers",
                "  idle    hold N connections and report server memory (/health)",
                "  churn   connect/join/close cycles",
                "  join    N members join one room and stay: join rate, bytes per join"})
final class BenchCommand implements Callable<Integer> {
    private static final Duration MAX_DURATION = Duration.ofHours(1);

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SCENARIO", description = "echo | fanout | idle | churn | join")
    private String scenario;

    @Option(names = "--url", defaultValue = "ws://127.0.0.1:8080/ws", description = "WebSocket endpoint (default: "
            + "${DEFAULT-VALUE}); a closed-loop echo also takes tcp://HOST:PORT, a raw TCP echo server (the floor).")
    private String url;

    @Option(names = "--publish-url", description = "fanout: publishers connect here instead of --url, e.g. "
            + "another node of a cluster to measure cross-node delivery.")
    private String publishUrl;

    @Option(names = "--connections", defaultValue = "10", description = "Connections (fanout: subscribers; churn: cycles in flight; join: members). Default ${DEFAULT-VALUE}.")
    private int connections;

    @Option(names = "--rooms", defaultValue = "1", description = "Rooms (fanout, idle, churn). Default ${DEFAULT-VALUE}.")
    private int rooms;

    @Option(names = "--room", description = "fanout with one room: its exact name, e.g. live:ticker to put it in a "
            + "namespace (namespaces.live.*) or to let other clients join it. Default: a fresh bench-<run>-0.")
    private String room;

    @Option(names = "--publishers", defaultValue = "1", description = "Publishing connections (fanout). Default ${DEFAULT-VALUE}. "
            + "0: subscribe only, print a line on stderr once joined, and count what a publisher in another bench "
            + "process on this machine sends into the room (--room), over the window its first message sets.")
    private int publishers;

    @Option(names = "--rate", defaultValue = "1000", description = "Messages (churn: cycles) per second, all senders "
            + "together; echo with 0: closed loop, each connection one message in flight. Default ${DEFAULT-VALUE}.")
    private int rate;

    @Option(names = "--size", defaultValue = "100", description = "Approximate frame size in bytes. Default ${DEFAULT-VALUE}.")
    private int size;

    @Option(names = "--duration", defaultValue = "10s", description = "How long to send: 500ms, 10s, 2m (max 1h); join: the most time joining takes. Default ${DEFAULT-VALUE}.")
    private String duration;

    @Option(names = "--warmup", defaultValue = "0s", description = "Send this long before measuring (JIT, pools); not counted. Default ${DEFAULT-VALUE}.")
    private String warmup;

    @Option(names = "--json", description = "Print the result as JSON on stdout.")
    private boolean json;

    @Option(names = "--local-addresses", split = ",", paramLabel = "ADDR",
            description = "Source addresses used round-robin (e.g. 127.0.0.2,127.0.0.3) for more connections than one address has ports.")
    private List<String> localAddresses = new ArrayList<>();

    @Option(names = "--allow-remote", description = "Allow a target that is not a loopback address (only load servers you own).")
    private boolean allowRemote;

    @Option(names = "--receiver", defaultValue = "lean", description = "fanout subscribers, idle connections, closed-loop echo: lean "
            + "(raw frames, the load generator's fast path), client (the full Java client) or, for fanout, sse "
            + "(lean Server-Sent Events subscribers on GET /sse) or lean-deflate (lean subscribers that negotiate "
            + "permessage-deflate and inflate what arrives compressed). Default ${DEFAULT-VALUE}.")
    private String receiver;

    @Option(names = "--in-flight", defaultValue = "256", description = "Connections being opened (connect, upgrade, "
            + "join) at once, at most; join: joins in flight. Default ${DEFAULT-VALUE}.")
    private int inFlight;

    @Option(names = "--no-progress", description = "Do not print the live progress line.")
    private boolean noProgress;

    @Override
    public Integer call() throws Exception {
        ClientLogging.warningsOnly();
        BenchOptions options = options();
        BenchResult result;
        try {
            result = Scenarios.run(options, System.err);
        } catch (IllegalStateException e) {
            System.err.println("bench: " + e.getMessage());
            return 1;
        }
        if (json) {
            System.out.println(new String(new JsonCodec().encodeValue(result.fields()), java.nio.charset.StandardCharsets.UTF_8));
        } else {
            System.out.print(result.summary());
        }
        System.out.flush();
        return 0;
    }

    private URI parseUrl(String option, String value) {
        return parseUrl(option, value, false);
    }

    private URI parseUrl(String option, String value, boolean tcpAllowed) {
        URI uri;
        try {
            uri = URI.create(value);
        } catch (IllegalArgumentException e) {
            throw usage(option + " is not a URL: " + value);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (tcpAllowed && scheme.equals("tcp") && uri.getHost() != null) {
            if (uri.getPort() < 1) {
                throw usage(option + " tcp:// needs a port, got " + value);
            }
            return uri;
        }
        if (!scheme.equals("ws") && !scheme.equals("wss") || uri.getHost() == null) {
            throw usage(option + " must be ws://HOST[:PORT]/PATH or wss://..."
                    + (tcpAllowed ? " (or tcp://HOST:PORT for a closed-loop echo)" : "") + ", got " + value);
        }
        return uri;
    }

    private BenchOptions options() {
        if (!List.of("echo", "fanout", "idle", "churn", "join").contains(scenario)) {
            throw usage("scenario must be echo, fanout, idle, churn or join, got '" + scenario + "'");
        }
        boolean closedLoop = scenario.equals("echo") && rate == 0;
        URI uri = parseUrl("--url", url, closedLoop);
        requirePositive("--connections", connections);
        requirePositive("--in-flight", inFlight);
        if (!closedLoop) {
            requirePositive("--rate", rate);
        }
        if (publishers < (scenario.equals("fanout") ? 0 : 1)) {
            throw usage("--publishers must be at least " + (scenario.equals("fanout") ? 0 : 1) + ", got " + publishers);
        }
        if (publishers == 0 && rooms != 1) {
            throw usage("--publishers 0 (subscribe only) takes one room (--rooms 1)");
        }
        if (rooms < 0 || (scenario.equals("fanout") && rooms < 1)) {
            throw usage("--rooms must be " + (scenario.equals("fanout") ? "at least 1" : "0 or more") + ", got " + rooms);
        }
        if (size < 1 || size > 16 * 1024 * 1024) {
            throw usage("--size must be between 1 and 16777216 bytes, got " + size);
        }
        Duration d = parseDuration(duration);
        Duration w = warmup.strip().matches("0+(ms|s|m|h)?") ? Duration.ZERO : parseDuration(warmup);
        checkTarget(uri.getHost());
        List<InetAddress> sources = new ArrayList<>();
        for (String a : localAddresses) {
            try {
                InetAddress address = InetAddress.getByName(a.strip());
                if (!allowRemote && !address.isLoopbackAddress()) {
                    throw usage("--local-addresses: " + a + " is not a loopback address (use --allow-remote for remote runs)");
                }
                sources.add(address);
            } catch (UnknownHostException e) {
                throw usage("--local-addresses: cannot resolve " + a);
            }
        }
        if (!List.of("lean", "client", "sse", "lean-deflate").contains(receiver)) {
            throw usage("--receiver must be lean, client, sse or lean-deflate, got '" + receiver + "'");
        }
        if (receiver.equals("lean-deflate") && !scenario.equals("fanout")) {
            throw usage("--receiver lean-deflate runs fanout subscribers only");
        }
        if (receiver.equals("sse") && (!scenario.equals("fanout") || !uri.getScheme().equalsIgnoreCase("ws"))) {
            throw usage("--receiver sse runs fanout subscribers on the server of a ws:// URL only");
        }
        if (scenario.equals("join") && !receiver.equals("lean")) {
            throw usage("a join run opens lean members only; drop --receiver");
        }
        if (receiver.equals("lean") && List.of("fanout", "idle", "join").contains(scenario)
                && !uri.getScheme().equalsIgnoreCase("ws")) {
            throw usage("--receiver lean speaks ws:// only; use --receiver client for " + uri.getScheme() + "://");
        }
        if (closedLoop && !receiver.equals("lean")) {
            throw usage("a closed-loop echo (--rate 0) runs on lean connections only; drop --receiver client or give a --rate");
        }
        if (closedLoop && uri.getScheme().equalsIgnoreCase("wss")) {
            throw usage("a closed-loop echo speaks ws:// or tcp://, not wss://; give a --rate to use the full client");
        }
        if (room != null) {
            if (!List.of("fanout", "join").contains(scenario) || rooms != 1) {
                throw usage("--room names the one room of a fanout or join run (--rooms 1)");
            }
            if (!Names.isValidRoom(room)) {
                throw usage("--room must match [A-Za-z0-9_.:@/-]{1,128}, got '" + room + "'");
            }
        }
        URI publishUri = publishUrl == null ? null : parseUrl("--publish-url", publishUrl);
        if (publishUri != null) {
            checkTarget(publishUri.getHost());
        }
        return new BenchOptions(scenario, uri, connections, rooms, publishers, rate, size, d, w, sources, !noProgress,
                publishUri, receiver, room, inFlight);
    }

    /** Load tests stay on this machine unless the operator says otherwise. */
    private void checkTarget(String host) {
        if (allowRemote) {
            return;
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw usage("cannot resolve " + host);
        }
        for (InetAddress a : addresses) {
            if (!a.isLoopbackAddress()) {
                throw usage("refusing to load " + host + " (" + a.getHostAddress()
                        + "): not a loopback address; pass --allow-remote to load a server you own");
            }
        }
    }

    /** A duration as the configuration writes one; a bare number is seconds. */
    static Duration parseDuration(String text) {
        String t = text.strip();
        Duration d;
        try {
            d = t.matches("\\d{1,18}") ? Duration.ofSeconds(Long.parseLong(t)) : ValueType.parseDuration(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--duration must look like 500ms, 10s, 2m or 1h, got '" + text + "'");
        }
        if (d.isZero() || d.isNegative() || d.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException("--duration must be more than 0 and at most 1h, got '" + text + "'");
        }
        return d;
    }

    private void requirePositive(String name, int value) {
        if (value < 1) {
            throw usage(name + " must be at least 1, got " + value);
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    @Override
    public String toString() {
        return "bench " + scenario + " " + Arrays.asList(url, connections, rooms, publishers, rate, size, duration);
    }
}
