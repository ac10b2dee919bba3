package io.switchboard.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchboard.core.config.ConfigException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HooksConfigTest {

    @Test
    void theIssuesExampleLoadsFromFlags() {
        SwitchboardConfig config = ConfigLoader.load(null, Map.of(), Map.of(
                "hooks.url", "http://127.0.0.1:9000/switchboard/events", "hooks.secret", "0123456789abcdef",
                "hooks.events", "connect,disconnect,publish", "hooks.batchMaxDelay", "250ms",
                "hooks.maxQueued", "1000"));
        Hooks hooks = config.hooks();
        assertThat(hooks.enabled()).isTrue();
        assertThat(hooks.events()).containsExactly("connect", "disconnect", "publish");
        assertThat(hooks.batchMaxDelay()).isEqualTo(Duration.ofMillis(250));
        assertThat(hooks.toString()).doesNotContain("0123456789abcdef");
    }

    @Test
    void offByDefault() {
        assertThat(Hooks.defaults().enabled()).isFalse();
        assertThat(Hooks.defaults().events()).containsExactly("connect", "disconnect", "join", "leave", "occupied",
                "vacated");
    }

    @Test
    void aUrlNeedsASecretAndAnHttpScheme() {
        assertThatThrownBy(() -> Hooks.builder().url("http://backend/events").build())
                .isInstanceOf(ConfigException.class)
                .hasMessage("hooks.secret (hidden) must have at least 16 characters when hooks.url is set (it has 0)");
        assertThatThrownBy(() -> Hooks.builder().url("ftp://backend/events").secret("0123456789abcdef").build())
                .hasMessage("hooks.url (ftp://backend/events) must be an http:// or https:// URL");
    }

    @Test
    void unknownEventTypesAndAQueueSmallerThanABatchAreRefused() {
        assertThatThrownBy(() -> Hooks.builder().events(List.of("connect", "joined")).build())
                .hasMessage("hooks.events (joined) must be one of connect, disconnect, join, leave, occupied, vacated,"
                        + " publish");
        assertThatThrownBy(() -> Hooks.builder().batchMaxEvents(100).maxQueued(10).build())
                .hasMessageStartingWith("hooks.maxQueued (10) must be between 100 and");
    }

    @Test
    void aSpoolDirectoryIsOffByDefaultAndMustBeAPathWithoutSurroundingSpaces() {
        assertThat(Hooks.defaults().spoolDir()).isEmpty();
        SwitchboardConfig config = ConfigLoader.load(null, Map.of(), Map.of("hooks.spoolDir",
                "/var/lib/switchboard/hooks"));
        assertThat(config.hooks().spoolDir()).isEqualTo("/var/lib/switchboard/hooks");
        assertThatThrownBy(() -> Hooks.builder().spoolDir(" /var/spool").build()).isInstanceOf(ConfigException.class)
                .hasMessage("hooks.spoolDir ( /var/spool) must be a directory path without leading or trailing spaces");
        assertThatThrownBy(() -> Hooks.builder().spoolDir("/var/\u0000spool").build())
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("hooks.spoolDir (/var/")
                .hasMessageContaining("must be a valid directory path (");
    }
}
