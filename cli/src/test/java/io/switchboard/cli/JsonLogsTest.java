package io.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code --log-format json}: one JSON object per line, stable field names, tokens redacted. */
class JsonLogsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        processes.forEach(Process::destroyForcibly);
    }

    private static List<JsonNode> parseLines(String out) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            JsonNode node = JSON.readTree(line);
            assertThat(node.isObject()).as("a JSON object per line: %s", line).isTrue();
            lines.add(node);
        }
        return lines;
    }

    @Test
    void theEncoderWritesOneObjectPerLineWithFixedFieldsKeyValuesAndRedactedTokens() throws Exception {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonLinesEncoder encoder = new JsonLinesEncoder();
        encoder.setContext(context);
        encoder.start();
        OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setOutputStream(out);
        appender.start();
        context.start();
        Logger log = context.getLogger("io.switchboard.Test");
        log.addAppender(appender);

        log.atInfo().addKeyValue("connId", "c-1").addKeyValue("userId", "alice").addKeyValue("remote", "10.0.0.1:5")
                .addKeyValue("closeCode", 4008).addKeyValue("msg", "clash")
                .log("refused GET /ws?id=alice&token=eyJhbGciOi.secret.part from {}", "10.0.0.1:5");
        log.error("multi\nline \"quoted\" message", new IllegalStateException("boom token=abc"));
        context.stop();

        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text).doesNotContain("eyJhbGciOi").doesNotContain("abc\"").endsWith("\n");
        List<JsonNode> lines = parseLines(text);
        assertThat(lines).hasSize(2);
        JsonNode first = lines.get(0);
        assertThat(first.fieldNames()).toIterable().startsWith("ts", "level", "logger", "thread", "msg");
        assertThat(first.path("ts").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
        assertThat(first.path("level").asText()).isEqualTo("INFO");
        assertThat(first.path("logger").asText()).isEqualTo("io.switchboard.Test");
        assertThat(first.path("thread").asText()).isEqualTo(Thread.currentThread().getName());
        assertThat(first.path("msg").asText())
                .isEqualTo("refused GET /ws?id=alice&token=REDACTED from 10.0.0.1:5");
        assertThat(first.path("connId").asText()).isEqualTo("c-1");
        assertThat(first.path("userId").asText()).isEqualTo("alice");
        assertThat(first.path("remote").asText()).isEqualTo("10.0.0.1:5");
        assertThat(first.path("closeCode").asInt()).isEqualTo(4008);
        assertThat(first.path("kv_msg").asText()).isEqualTo("clash");
        JsonNode second = lines.get(1);
        assertThat(second.path("level").asText()).isEqualTo("ERROR");
        assertThat(second.path("msg").asText()).isEqualTo("multi\nline \"quoted\" message");
        assertThat(second.path("error").asText()).contains("IllegalStateException: boom token=REDACTED");
    }

    @Test
    void theTextFormatRedactsTokensToo() {
        LoggerContext context = new LoggerContext();
        ch.qos.logback.classic.spi.LoggingEvent event = new ch.qos.logback.classic.spi.LoggingEvent(
                "fqcn", context.getLogger("x"), ch.qos.logback.classic.Level.INFO,
                "upgrade {}", null, new Object[] {"/ws?token=abc.def.ghi&id=alice"});
        assertThat(new RedactedMessageConverter().convert(event)).isEqualTo("upgrade /ws?token=REDACTED&id=alice");
    }

    @Test
    void eachLogFormatConfiguresTheConsoleWithItsEncoder() throws Exception {
        for (LogFormat format : LogFormat.values()) {
            LoggerContext context = new LoggerContext();
            JoranConfigurator configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(format.configuration());
            assertThat(context.getStatusManager().getCopyOfStatusList())
                    .as("%s configures without warnings", format)
                    .allSatisfy(st -> assertThat(st.getLevel()).isLessThan(ch.qos.logback.core.status.Status.WARN));
            Appender<ILoggingEvent> appender = context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDOUT");
            assertThat(appender).as(format.name()).isNotNull();
            Object encoder = ((OutputStreamAppender<ILoggingEvent>) appender).getEncoder();
            assertThat(encoder instanceof JsonLinesEncoder).isEqualTo(format == LogFormat.json);
            context.stop();
        }
    }

    @Test
    void serveWithJsonLogsWritesOnlyJsonLinesAndRedactsTokensInRefusedUpgrades() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path log = Files.createTempFile("serve-json", ".log");
        log.toFile().deleteOnExit();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "io.switchboard.cli.Main", "serve", "--log-format", "json",
                "--host", "127.0.0.1", "--port", String.valueOf(port), "--set", "shutdown.drainTimeout=1s")
                // Logs go to stdout; stderr is the JVM's own (JDK 24+ warns there about native access).
                .redirectError(ProcessBuilder.Redirect.DISCARD).redirectOutput(log.toFile()).start();
        processes.add(p);
        awaitReady(port);
        var refused = HTTP.newWebSocketBuilder().buildAsync(
                URI.create("ws://127.0.0.1:" + port + "/ws?id=bad!id&token=super-secret-token"),
                new WebSocket.Listener() { });
        assertThat(refused).failsWithin(java.time.Duration.ofSeconds(5));
        p.destroy();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();

        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(out).doesNotContain("super-secret-token");
        List<JsonNode> lines = parseLines(out);
        assertThat(lines).allSatisfy(l -> assertThat(l.has("ts") && l.has("level") && l.has("logger")
                && l.has("thread") && l.has("msg")).as(l.toString()).isTrue());
        assertThat(lines).anySatisfy(l -> assertThat(l.path("msg").asText()).contains("listening on 127.0.0.1:"));
        assertThat(lines).anySatisfy(l -> {
            assertThat(l.path("msg").asText()).startsWith("refused upgrade from");
            assertThat(l.path("level").asText()).isEqualTo("INFO");
            assertThat(l.path("remote").asText()).contains("127.0.0.1");
            assertThat(l.path("uri").asText()).isEqualTo("/ws?id=bad!id&token=REDACTED");
        });
        assertThat(p.exitValue()).isZero();
    }

    private static void awaitReady(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/ready")).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(50);
        }
        throw new AssertionError("server not ready on port " + port);
    }
}
