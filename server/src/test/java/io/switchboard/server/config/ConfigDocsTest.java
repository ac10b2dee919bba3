package io.switchboard.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The committed docs are what {@link ConfigDocs} renders from the records, so they cannot drift
 * from the code. Run with {@code -Dswitchboard.updateDocs=true} to rewrite them instead.
 */
class ConfigDocsTest {

    @ParameterizedTest
    @ValueSource(strings = {ConfigDocs.MARKDOWN_PATH, ConfigDocs.EXAMPLE_PATH})
    void committedFileIsWhatTheRendererProduces(String path) throws IOException {
        Path file = TestFiles.repositoryRoot().resolve(path);
        String rendered = path.equals(ConfigDocs.MARKDOWN_PATH) ? ConfigDocs.markdown() : ConfigDocs.exampleYaml();
        if (Boolean.getBoolean("switchboard.updateDocs")) {
            Files.createDirectories(file.getParent());
            Files.writeString(file, rendered);
        }

        String committed = Files.exists(file) ? Files.readString(file) : "";
        assertThat(committed)
                .as("%s is out of date with the config records; regenerate it with%n  %s", path, ConfigDocs.REGENERATE)
                .isEqualTo(rendered);
    }
}
