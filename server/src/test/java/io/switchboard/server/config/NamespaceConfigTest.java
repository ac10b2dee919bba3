package io.switchboard.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchboard.core.config.ConfigException;
import io.switchboard.core.config.Namespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code namespaces.<name>.<option>}: a map section, set through YAML, environment and flags like every key. */
class NamespaceConfigTest {
    @TempDir
    Path dir;

    private Path yaml(String text) {
        try {
            return Files.writeString(Files.createTempFile(dir, "switchboard", ".yaml"), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aFileNamesNamespacesAndSetsOnlyTheirOptions() {
        SwitchboardConfig config = ConfigLoader.load(yaml("""
                namespaces:
                  dash:
                    historySize: 0
                    historyTtl: 10m
                    presence: counts
                    joinLeave: false
                    clientPublish: false
                    maxMembers: 200000
                  chat:
                    historySize: 1000
                """), Map.of(), Map.of());

        assertThat(config.namespaces()).containsOnlyKeys("dash", "chat");
        assertThat(config.namespaces().get("dash")).isEqualTo(new Namespace(0, Duration.ofMinutes(10), "counts",
                false, false, 200_000, null));
        assertThat(config.namespaces().get("chat")).isEqualTo(new Namespace(1000, null, null, null, null, null, null));
        assertThat(config.core().namespaces()).isEqualTo(config.namespaces());
    }

    @Test
    void environmentAndFlagsSetNamespaceOptionsOverTheFile() {
        Path file = yaml("namespaces:\n  dash:\n    presence: counts\n    historySize: 5\n");
        SwitchboardConfig config = ConfigLoader.load(file,
                Map.of("SWITCHBOARD_NAMESPACES_DASH_PRESENCE", "off", "SWITCHBOARD_NAMESPACES_LIVE_FEED_JOIN_LEAVE",
                        "false"),
                Map.of("namespaces.dash.historySize", "7", "namespaces.chat.clientPublish", "false"));

        assertThat(config.namespaces().get("dash")).isEqualTo(new Namespace(7, null, "off", null, null, null, null));
        assertThat(config.namespaces().get("live_feed").joinLeave()).isFalse();
        assertThat(config.namespaces().get("chat").clientPublish()).isFalse();
    }

    @Test
    void badOptionsAreReportedWithKeyValueAndRule() {
        assertThatThrownBy(() -> ConfigLoader.load(yaml("namespaces:\n  dash:\n    histroySize: 0\n"), Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("unknown configuration key namespaces.dash.histroySize in config file ")
                .hasMessageEndingWith(" (the namespaces section has namespaces.<name>.historySize,"
                        + " namespaces.<name>.historyTtl, namespaces.<name>.presence, namespaces.<name>.joinLeave,"
                        + " namespaces.<name>.clientPublish, namespaces.<name>.maxMembers, namespaces.<name>.delivery)");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SWITCHBOARD_NAMESPACES_DASH_HISTORY_SIZES", "1"),
                Map.of())).hasMessageStartingWith(
                        "unknown configuration key in environment variable SWITCHBOARD_NAMESPACES_DASH_HISTORY_SIZES");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("namespaces.dash.presence", "some")))
                .hasMessage("namespaces.dash.presence (some) must be one of full, counts, off");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("namespaces.dash.historySize", "lots")))
                .hasMessage("namespaces.dash.historySize (lots) must be a whole number");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("namespaces.dash.maxMembers", "0")))
                .hasMessage("namespaces.dash.maxMembers (0) must be between 1 and 10000000");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SWITCHBOARD_NAMESPACES_DASH_DELIVERY", "first"),
                Map.of())).hasMessage("namespaces.dash.delivery (first) must be one of all, latest");
        assertThat(ConfigLoader.load(null, Map.of(), Map.of("namespaces.dash.delivery", "latest")).core().namespaces()
                .get("dash").delivery()).isEqualTo("latest");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("namespaces.Dash.joinLeave", "false")))
                .hasMessage("namespaces.Dash (Dash) a namespace name must match " + Namespace.NAME);
    }

    @Test
    void aNamespaceThatRepeatsADefaultIsAnError() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("namespaces.chat.historySize", "100")))
                .hasMessage("namespaces.chat.historySize (100) repeats the default (history.size); leave it out");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SWITCHBOARD_HISTORY_TTL", "10m"),
                Map.of("namespaces.chat.historyTtl", "10m")))
                .hasMessage("namespaces.chat.historyTtl (10m) repeats the default (history.ttl); leave it out");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("namespaces.chat.presence", "full")))
                .hasMessage("namespaces.chat.presence (full) repeats the default; leave it out");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("namespaces.chat.clientPublish", "true")))
                .hasMessage("namespaces.chat.clientPublish (true) repeats the default; leave it out");
    }
}
