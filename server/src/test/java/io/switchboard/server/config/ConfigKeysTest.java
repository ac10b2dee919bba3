package io.switchboard.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ConfigKeysTest {

    @Test
    void everyComponentOfEverySectionRecordIsAKeyInRecordOrder() {
        List<String> expected = new ArrayList<>();
        for (RecordComponent section : SwitchboardConfig.class.getRecordComponents()) {
            for (RecordComponent component : section.getType().getRecordComponents()) {
                expected.add(section.getName() + "." + component.getName());
            }
        }

        assertThat(ConfigKeys.all()).extracting(ConfigKey::key).containsExactlyElementsOf(expected).hasSize(77);
    }

    @Test
    void keysCarryTheirTypeDefaultAndEnvironmentVariable() {
        assertThat(ConfigKeys.find("websocket.pingInterval")).hasValueSatisfying(key -> {
            assertThat(key.type()).isEqualTo(ValueType.DURATION);
            assertThat(key.defaultValue()).isEqualTo("25s");
            assertThat(key.envVar()).isEqualTo("SWITCHBOARD_WEBSOCKET_PING_INTERVAL");
            assertThat(key.secret()).isFalse();
        });
        assertThat(ConfigKeys.find("websocket.maxQueuedBytes").orElseThrow())
                .extracting(ConfigKey::type, ConfigKey::defaultValue).containsExactly(ValueType.BYTES, "1MiB");
        assertThat(ConfigKeys.find("hub.notifyGlobalPresence").orElseThrow())
                .extracting(ConfigKey::type, ConfigKey::envVar)
                .containsExactly(ValueType.BOOLEAN, "SWITCHBOARD_HUB_NOTIFY_GLOBAL_PRESENCE");
        assertThat(ConfigKeys.find("api.keys").orElseThrow())
                .extracting(ConfigKey::type, ConfigKey::defaultValue, ConfigKey::envVar)
                .containsExactly(ValueType.LIST, "", "SWITCHBOARD_API_KEYS");
        assertThat(ConfigKeys.find("server.port").orElseThrow().type()).isEqualTo(ValueType.INTEGER);
        assertThat(ConfigKeys.find("server.nodeId").orElseThrow().type()).isEqualTo(ValueType.STRING);
    }

    @Test
    void onlyTheApiKeysTheRedisPasswordAndTheJwtSecretAreSecret() {
        assertThat(ConfigKeys.all()).filteredOn(ConfigKey::secret).extracting(ConfigKey::key)
                .containsExactly("api.keys", "redis.password", "security.jwtSecret");
    }

    @Test
    void everySectionIsUsedByTheServer() {
        assertThat(ConfigKeys.sections()).filteredOn(s -> !s.usedByServer()).extracting(ConfigKeys.Section::name)
                .isEmpty();
    }

    @Test
    void descriptionsAreTheRecordsParamTexts() throws IOException {
        Map<String, String> javadoc = paramTexts();

        assertThat(ConfigKeys.all()).allSatisfy(key ->
                assertThat(key.description()).as(key.key()).isEqualTo(javadoc.get(key.key())));
    }

    @Test
    void sectionDescriptionsAreTheFirstSentenceOfTheRecordsJavadoc() throws IOException {
        Map<String, String> javadoc = recordJavadoc();

        assertThat(ConfigKeys.sections()).allSatisfy(section ->
                assertThat(javadoc.get(section.name())).as(section.name()).startsWith(section.description()));
    }

    /** Dotted key → {@code @param} text, read from the record source in the core module. */
    private static Map<String, String> paramTexts() throws IOException {
        Map<String, String> params = new LinkedHashMap<>();
        Pattern param = Pattern.compile("@param (\\w+) ([^@]*)", Pattern.DOTALL);
        for (Map.Entry<String, String> doc : recordJavadoc().entrySet()) {
            Matcher m = param.matcher(doc.getValue());
            while (m.find()) {
                params.put(doc.getKey() + "." + m.group(1), m.group(2).strip());
            }
        }
        return params;
    }

    /** Section name → its record's javadoc (from the config package's sources), stars and line breaks removed, {@code {@code x}} as {@code `x`}. */
    private static Map<String, String> recordJavadoc() throws IOException {
        Path dir = TestFiles.repositoryRoot().resolve("core/src/main/java/io/switchboard/core/config");
        StringBuilder sources = new StringBuilder();
        try (var files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                sources.append(Files.readString(file));
            }
        }
        String text = sources.toString();
        Map<String, String> docs = new LinkedHashMap<>();
        Matcher m = Pattern.compile("/\\*\\*((?:(?!\\*/).)*)\\*/\\s*public record (\\w+)\\(", Pattern.DOTALL)
                .matcher(text);
        while (m.find()) {
            String recordName = m.group(2);
            String doc = m.group(1).replaceAll("\\s*\\n\\s*\\*\\s?", " ").replaceAll("\\{@code ([^}]*)}", "`$1`")
                    .replaceAll("\\s+", " ").strip();
            Arrays.stream(SwitchboardConfig.class.getRecordComponents())
                    .filter(c -> c.getType().getSimpleName().equals(recordName))
                    .forEach(c -> docs.put(c.getName(), doc));
        }
        return docs;
    }
}
