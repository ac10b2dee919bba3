package io.switchboard.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.client.ClientConfig;
import io.switchboard.client.ClientListener;
import io.switchboard.client.ConnectionState;
import io.switchboard.client.Disconnect;
import io.switchboard.client.SwitchboardClient;
import io.switchboard.client.SwitchboardClientException;
import io.switchboard.client.SwitchboardClients;
import io.switchboard.client.Welcome;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.internal.Failures;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code switchboard connect URL}: an interactive terminal client in the manner of wscat. Every
 * line typed is a JSON command or a shorthand; every server message is printed as it arrives.
 *
 * <p>Screen format, one line each: {@code < json} a message from the server, {@code * text} a
 * connection event, {@code ! text} a local error. Exits 0 on {@code /quit}, end of input or
 * Ctrl+C (each sends a close frame 1000), 1 when the connection cannot be made or ends for good.
 *
 * <p>Threading: one input thread reads and sends typed lines; the client's callback thread prints
 * what arrives; {@link #print} serializes the two on the screen.
 */
@Command(name = "connect", mixinStandardHelpOptions = true,
        description = {"Interactive WebSocket client for a Switchboard server.",
                "Type JSON commands, or one of:",
                "  /join ROOM   /leave ROOM   /msg ROOM TEXT   /pm USER TEXT",
                "  /broadcast TEXT   /presence ROOM   /history ROOM   /help   /quit",
                "Incoming messages print as they arrive (< ...)."})
final class ConnectCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new JsonCodec().mapper();
    private static final String HELP = "commands: JSON object | /join ROOM | /leave ROOM | /msg ROOM TEXT | /pm USER TEXT"
            + " | /broadcast TEXT | /presence ROOM | /history ROOM | /quit";

    @Parameters(index = "0", paramLabel = "URL",
            description = {"ws:// or wss:// endpoint, for example", "ws://127.0.0.1:8080/ws?id=alice"})
    private String url;

    @Option(names = {"-H", "--header"}, paramLabel = "NAME=VALUE", description = "Extra upgrade request header (repeatable).")
    private Map<String, String> headers = new LinkedHashMap<>();

    @Option(names = "--token", paramLabel = "JWT", description = "Bearer token sent as Authorization header.")
    private String token;

    @Option(names = "--no-reconnect", description = "Exit when the connection drops instead of reconnecting.")
    private boolean noReconnect;

    private final PrintStream out = System.out;
    private final CompletableFuture<Integer> done = new CompletableFuture<>();

    @Override
    public Integer call() throws Exception {
        ClientLogging.warningsOnly();
        ClientConfig.Builder config = ClientConfig.builder(url).token(token).reconnect(!noReconnect);
        headers.forEach(config::header);
        SwitchboardClient client;
        try {
            client = SwitchboardClients.create(config.build(), new Screen());
        } catch (IllegalArgumentException e) {
            print("! " + e.getMessage());
            return 1;
        }
        // Ctrl+C: close with 1000 so the server sees a clean leave, not a dropped socket.
        Thread hook = new Thread(client::close, "switchboard-connect-close");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            client.connect().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            print("! " + e.getCause().getMessage());
            removeHook(hook);
            return 1;
        }
        Thread input = new Thread(() -> readInput(client), "switchboard-connect-input");
        input.setDaemon(true);
        input.start();
        int code = done.get();
        client.close();
        removeHook(hook);
        return code;
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
    }

    private void readInput(SwitchboardClient client) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!handle(client, line.strip())) {
                    break;
                }
            }
        } catch (IOException e) {
            print("! input: " + e.getMessage());
        }
        done.complete(0);
    }

    /** Runs one typed line; false ends the session. */
    private boolean handle(SwitchboardClient client, String line) {
        if (line.isEmpty()) {
            return true;
        }
        if (line.startsWith("{")) {
            try {
                JsonNode parsed = JSON.readTree(line);
                report(client.sendText(parsed.toString()));
            } catch (JsonProcessingException e) {
                print("! not valid JSON: " + e.getOriginalMessage());
            }
            return true;
        }
        String[] words = line.split("\\s+", 3);
        String arg = words.length > 1 ? words[1] : null;
        String rest = words.length > 2 ? words[2] : null;
        switch (words[0]) {
            case "/quit", "/exit" -> {
                return false;
            }
            case "/help" -> print("* " + HELP);
            case "/join" -> {
                if (need(arg, "/join ROOM")) {
                    report(client.join(arg));
                }
            }
            case "/leave" -> {
                if (need(arg, "/leave ROOM")) {
                    report(client.leave(arg));
                }
            }
            case "/msg" -> {
                if (need(rest, "/msg ROOM TEXT")) {
                    report(client.publish(arg, rest));
                }
            }
            case "/pm" -> {
                if (need(rest, "/pm USER TEXT")) {
                    report(client.sendPrivate(arg, rest, null));
                }
            }
            case "/broadcast" -> {
                String text = line.substring("/broadcast".length()).strip();
                if (need(text.isEmpty() ? null : text, "/broadcast TEXT")) {
                    report(client.broadcast(text, null));
                }
            }
            case "/presence" -> {
                if (need(arg, "/presence ROOM")) {
                    report(client.presence(arg));
                }
            }
            case "/history" -> {
                if (need(arg, "/history ROOM")) {
                    report(client.history(arg, null, null));
                }
            }
            default -> print("! unknown input; " + HELP);
        }
        return true;
    }

    private boolean need(String value, String usage) {
        if (value == null) {
            print("! usage: " + usage);
            return false;
        }
        return true;
    }

    /** Replies print through the message tap; only local failures need a line of their own. */
    private void report(CompletableFuture<?> request) {
        request.whenComplete((v, error) -> {
            Throwable cause = Failures.rootCause(error);
            if (cause != null && !(cause instanceof SwitchboardClientException.ServerErrorException)) {
                print("! " + cause.getMessage());
            }
        });
    }

    private synchronized void print(String line) {
        out.println(line);
        out.flush();
    }

    /** Prints what the server says and what happens to the connection. Runs on the client's callback thread. */
    private final class Screen implements ClientListener {
        @Override
        public void onServerMessage(JsonNode message) {
            print("< " + message);
        }

        @Override
        public void onBinary(byte[] frame) {
            print("< (binary, " + frame.length + " bytes)");
        }

        /** Until the first welcome a failure is reported once, by the connect call's "could not connect". */
        private volatile boolean everConnected;

        @Override
        public void onConnected(Welcome welcome, boolean reconnect) {
            everConnected = true;
            print("* " + (reconnect ? "reconnected" : "connected") + " as " + welcome.userId() + " (" + welcome.connId()
                    + "); type /help for commands");
        }

        @Override
        public void onDisconnected(Disconnect d) {
            String why = d.code() + (d.reason() == null || d.reason().isEmpty() ? "" : " " + d.reason());
            if (d.reconnecting()) {
                print("* disconnected (" + why + "), reconnecting in " + millis(d.delay()));
            } else if (everConnected) {
                print("* disconnected (" + why + ")");
            }
        }

        @Override
        public void onStateChange(ConnectionState state) {
            if (state == ConnectionState.CLOSED) {
                done.complete(1);
            }
        }
    }

    private static String millis(Duration d) {
        return d.toMillis() + " ms";
    }
}
