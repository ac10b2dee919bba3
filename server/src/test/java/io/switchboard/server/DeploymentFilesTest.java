package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.server.websocket.NettySession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.switchboard.server.config.SwitchboardConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The deployment files name what the server really serves. No container engine or cluster runs here,
 * so this is what can be checked: the files parse, and their ports, probe paths and stop timeouts agree
 * with the defaults in {@link SwitchboardConfig} and the endpoints of PROTOCOL.md section 8.
 */
class DeploymentFilesTest {
    private static final SwitchboardConfig DEFAULTS = SwitchboardConfig.defaults();
    private static final int PORT = DEFAULTS.server().port();
    /** Seconds a SIGTERM'd node may take: the drain window, the close linger, and the final poll. */
    private static final double STOP_SECONDS = DEFAULTS.shutdown().drainTimeout().toMillis() / 1000.0
            + (NettySession.CLOSE_LINGER_MILLIS + 500) / 1000.0;

    private static Path root() {
        return Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath().getParent();
    }

    private static List<JsonNode> kubernetesDocuments() throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        YAMLMapper yaml = new YAMLMapper();
        try (Stream<Path> files = Files.list(root().resolve("deploy/kubernetes"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                try (var parser = new YAMLFactory().createParser(f.toFile())) {
                    docs.addAll(yaml.readValues(parser, JsonNode.class).readAll());
                }
            }
        }
        return docs;
    }

    private static JsonNode kind(List<JsonNode> docs, String kind) {
        return docs.stream().filter(d -> d.path("kind").asText().equals(kind)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " in deploy/kubernetes"));
    }

    @Test
    void theKubernetesDeploymentProbesReadyAndHealthOnTheServerPortAndOutlastsTheDrain() throws IOException {
        List<JsonNode> docs = kubernetesDocuments();
        JsonNode deployment = kind(docs, "Deployment");
        JsonNode pod = deployment.path("spec").path("template");
        JsonNode container = pod.path("spec").path("containers").get(0);
        JsonNode port = container.path("ports").get(0);
        assertThat(port.path("containerPort").asInt()).isEqualTo(PORT);
        String portName = port.path("name").asText();

        JsonNode readiness = container.path("readinessProbe").path("httpGet");
        assertThat(readiness.path("path").asText()).isEqualTo("/ready");
        assertThat(readiness.path("port").asText()).isIn(portName, String.valueOf(PORT));
        JsonNode liveness = container.path("livenessProbe").path("httpGet");
        assertThat(liveness.path("path").asText()).isEqualTo("/health");
        assertThat(liveness.path("port").asText()).isIn(portName, String.valueOf(PORT));

        JsonNode preStop = container.path("lifecycle").path("preStop").path("exec").path("command");
        assertThat(preStop.isArray()).as("a preStop exec hook").isTrue();
        double preStopSeconds = preStop.get(0).asText().equals("sleep") ? preStop.get(1).asDouble() : 0;
        String drain = env(container, "SWITCHBOARD_SHUTDOWN_DRAIN_TIMEOUT");
        assertThat(drain).isEqualTo(DEFAULTS.shutdown().drainTimeout().toSeconds() + "s");
        assertThat(pod.path("spec").path("terminationGracePeriodSeconds").asDouble())
                .isGreaterThan(preStopSeconds + STOP_SECONDS);

        JsonNode annotations = pod.path("metadata").path("annotations");
        assertThat(annotations.path("prometheus.io/port").asInt()).isEqualTo(PORT);
        assertThat(annotations.path("prometheus.io/path").asText()).isEqualTo(DEFAULTS.monitoring().metricsPath());
        assertThat(pod.path("spec").path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
    }

    @Test
    void theServiceAndTheDisruptionBudgetSelectTheDeploymentsPods() throws IOException {
        List<JsonNode> docs = kubernetesDocuments();
        JsonNode labels = kind(docs, "Deployment").path("spec").path("template").path("metadata").path("labels");
        JsonNode service = kind(docs, "Service");
        assertThat(matches(service.path("spec").path("selector"), labels)).isTrue();
        JsonNode target = service.path("spec").path("ports").get(0).path("targetPort");
        assertThat(target.asText()).isIn("http", String.valueOf(PORT));
        JsonNode pdb = kind(docs, "PodDisruptionBudget");
        assertThat(matches(pdb.path("spec").path("selector").path("matchLabels"), labels)).isTrue();
        assertThat(pdb.path("spec").has("maxUnavailable") || pdb.path("spec").has("minAvailable")).isTrue();
    }

    /** A build stage that copies modules one by one missed the ones added later (the reactor then fails). */
    @Test
    void theDockerfilesBuildStageGetsEveryModuleAndBuildsTheTestJars() throws IOException {
        List<String> lines = Files.readAllLines(root().resolve("Dockerfile"));
        List<String> copies = lines.stream().filter(l -> l.startsWith("COPY ") && !l.contains("--from=")).toList();
        String pom = Files.readString(root().resolve("pom.xml"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<module>([^<]+)</module>").matcher(pom);
        List<String> modules = new java.util.ArrayList<>();
        while (m.find()) {
            modules.add(m.group(1).trim());
        }
        assertThat(modules).contains("protocol", "core", "server", "cli", "testkit");
        for (String module : modules) {
            assertThat(copies).as("the build stage copies module %s", module)
                    .anySatisfy(c -> assertThat(c).matches("COPY (\\. \\.|" + module + "/? .*)"));
        }
        assertThat(Files.readString(root().resolve(".dockerignore"))).contains("**/target/", "**/node_modules/");
        String build = lines.stream().filter(l -> l.startsWith("RUN ./mvnw")).findFirst().orElseThrow();
        assertThat(build).as("the adapters need core's test jar").doesNotContain("maven.test.skip");
    }

    @Test
    void theDockerfileBuildsInStagesRunsAJreAsNonRootAndChecksHealthOnTheServerPort() throws IOException {
        List<String> lines = Files.readAllLines(root().resolve("Dockerfile"));
        List<String> from = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
        assertThat(from).hasSizeGreaterThanOrEqualTo(2);
        assertThat(from.get(from.size() - 1)).contains("-jre");
        String user = lines.stream().filter(l -> l.startsWith("USER ")).reduce((a, b) -> b).orElseThrow();
        assertThat(user.substring(5).split(":")[0].trim()).isNotIn("root", "0");
        assertThat(lines).contains("EXPOSE " + PORT);
        String healthcheck = String.join("\n", lines.subList(indexOf(lines, "HEALTHCHECK"), lines.size()));
        assertThat(healthcheck).contains("/dev/tcp/127.0.0.1/" + PORT).contains("GET /ready ");
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("cli/target/switchboard.jar"));
    }

    @Test
    void theLauncherBuildsTheJarWithTheDockerfilesCommand() throws IOException {
        // The Dockerfile's command is the one DockerfileReplayTest runs on a copy of the tree; the launcher's
        // is the README's first command on a fresh clone, where it once failed (-Dmaven.test.skip leaves out
        // the test jar the adapters compile against).
        String image = Files.readAllLines(root().resolve("Dockerfile")).stream()
                .filter(l -> l.startsWith("RUN ./mvnw")).findFirst().orElseThrow().substring("RUN ".length());
        Matcher launcher = Pattern.compile("\\(cd \"\\$root\" && (\\./mvnw [^)]+)\\)")
                .matcher(Files.readString(root().resolve("bin/switchboard")));
        assertThat(launcher.find()).as("bin/switchboard builds with the Maven wrapper").isTrue();
        assertThat(launcher.group(1)).isEqualTo(image);
    }

    @Test
    void theImageAndTheSystemdUnitSetTheLaunchersMallocSettings() throws IOException {
        Matcher launcher = Pattern.compile("export GLIBC_TUNABLES=\"\\$\\{GLIBC_TUNABLES:-([^}]+)}\"")
                .matcher(Files.readString(root().resolve("bin/switchboard")));
        assertThat(launcher.find()).as("bin/switchboard exports GLIBC_TUNABLES unless set").isTrue();
        String tunables = launcher.group(1);
        assertThat(tunables).contains("glibc.malloc.mmap_threshold=").contains("glibc.malloc.trim_threshold=");
        assertThat(Files.readAllLines(root().resolve("Dockerfile")))
                .contains("ENV GLIBC_TUNABLES=\"" + tunables + "\"");
        assertThat(Files.readAllLines(root().resolve("deploy/systemd/switchboard.service")))
                .contains("Environment=GLIBC_TUNABLES=" + tunables);
    }

    @Test
    void theSystemdUnitStopsWithSigtermAndWaitsLongerThanTheDrain() throws IOException {
        Map<String, String> unit = new HashMap<>();
        for (String line : Files.readAllLines(root().resolve("deploy/systemd/switchboard.service"))) {
            int eq = line.indexOf('=');
            if (!line.startsWith("#") && !line.startsWith("[") && eq > 0) {
                unit.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        assertThat(unit.get("KillSignal")).isEqualTo("SIGTERM");
        assertThat(Double.parseDouble(unit.get("TimeoutStopSec"))).isGreaterThan(STOP_SECONDS);
        assertThat(unit.get("User")).isNotEqualTo("root");
        assertThat(unit.get("ExecStart")).contains("-jar").contains(" serve");
    }

    @Test
    void everySeriesTheDashboardPlotsIsInARealScrape() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(root().resolve("docs/grafana-dashboard.json").toFile());
        Set<String> used = new LinkedHashSet<>();
        Pattern series = Pattern.compile("\\b((?:websocket|jvm|netty|process)_[a-z_]+)");
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                Matcher m = series.matcher(target.path("expr").asText());
                while (m.find()) {
                    used.add(m.group(1));
                }
            }
        }
        assertThat(used).contains("websocket_active_connections", "websocket_connections_total",
                "websocket_messages_total", "websocket_message_processing_duration_seconds_bucket",
                "websocket_errors_total", "websocket_rooms_total", "websocket_memory_usage_bytes");

        System.gc(); // the GC pause timer exists once a collection was reported
        try (SwitchboardServer server = SwitchboardServer.start(TestServers.config())) {
            long deadline = System.nanoTime() + 5_000_000_000L;
            Scrape scrape = Scrape.of(server.port(), DEFAULTS.monitoring().metricsPath());
            while (!scrape.has("jvm_gc_pause_seconds_count") && System.nanoTime() < deadline) {
                System.gc();
                Thread.sleep(100);
                scrape = Scrape.of(server.port(), DEFAULTS.monitoring().metricsPath());
            }
            for (String name : used) {
                assertThat(scrape.has(name)).as("%s is in the scrape", name).isTrue();
            }
        }
        assertThat(dashboard.path("panels")).allSatisfy(p -> assertThat(p).isInstanceOf(ObjectNode.class));
    }

    private static int indexOf(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        throw new AssertionError("no " + prefix);
    }

    private static String env(JsonNode container, String name) {
        for (JsonNode e : container.path("env")) {
            if (e.path("name").asText().equals(name)) {
                return e.path("value").asText();
            }
        }
        throw new AssertionError("no env " + name);
    }

    private static boolean matches(JsonNode selector, JsonNode labels) {
        assertThat(selector.size()).isPositive();
        for (String key : (Iterable<String>) selector::fieldNames) {
            if (!selector.path(key).asText().equals(labels.path(key).asText())) {
                return false;
            }
        }
        return true;
    }
}
