package io.switchboard.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.switchboard.core.config.ConfigException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Fuzz target for the config loader (docs/fuzzing.md): YAML file, environment and command-line flags
 * together. Property: any input gives a config or a {@link ConfigException} with a message, nothing else,
 * and loading the same input again gives the same config.
 *
 * <p>An input is UTF-8 text in up to three parts separated by NUL bytes: the YAML file, then
 * environment lines {@code NAME=value}, then flag lines {@code dotted.key=value}.
 */
class ConfigLoaderFuzzTest {
    private static final Path FILE = tempFile();

    private static Path tempFile() {
        try {
            Path file = Files.createTempFile("switchboard-fuzz", ".yaml");
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest
    void anyFileEnvironmentAndFlagsGiveAConfigOrAConfigException(byte[] input) throws IOException {
        String[] parts = new String(input, StandardCharsets.UTF_8).split("\0", 3);
        Files.writeString(FILE, parts[0], StandardCharsets.UTF_8);
        Map<String, String> env = lines(parts.length > 1 ? parts[1] : "");
        Map<String, String> flags = lines(parts.length > 2 ? parts[2] : "");

        SwitchboardConfig first = loadOrNull(env, flags);
        SwitchboardConfig second = loadOrNull(env, flags);
        assertThat(second).isEqualTo(first);
    }

    private static SwitchboardConfig loadOrNull(Map<String, String> env, Map<String, String> flags) {
        try {
            return ConfigLoader.load(FILE, env, flags);
        } catch (ConfigException refused) {
            assertThat(refused.getMessage()).isNotBlank();
            return null;
        }
    }

    /** {@code NAME=value} lines; a line without {@code =} is a name with an empty value. */
    private static Map<String, String> lines(String text) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            map.put(eq < 0 ? line : line.substring(0, eq), eq < 0 ? "" : line.substring(eq + 1));
        }
        return map;
    }
}
