package io.switchboard.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchboard.core.config.Check;
import io.switchboard.core.config.ConfigException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** How each type is written, and the verbatim error for each way of getting it wrong. */
class ValueTypesTest {

    @ParameterizedTest
    @CsvSource({"500ms, 500", "25s, 25000", "25 s, 25000", "5m, 300000", "1h, 3600000", "2d, 172800000",
            "PT25S, 25000", "PT1M30S, 90000", "PT0.25S, 250"})
    void durationsTakeAUnitOrIso8601(String text, long millis) {
        assertThat(flag("history.ttl", text).history().ttl()).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "25", "25x", "25S", "1.5s", "-5s", "5 minutes", "PT", "", "99999999999999999d"})
    void badDurationsNameKeyValueAndRule(String text) {
        assertThatThrownBy(() -> flag("history.ttl", text))
                .isExactlyInstanceOf(ConfigException.class)
                .hasMessage("history.ttl (" + text + ") must be a duration like 25s, 500ms or 5m");
    }

    @Test
    void durationsFinerThanAMillisecondAreRejected() {
        assertThatThrownBy(() -> flag("history.ttl", "PT0.0001S"))
                .hasMessage("history.ttl (PT0.0001S) must be a whole number of milliseconds");
    }

    @Test
    void zeroAndNegativeDurationsMeetTheRecordsRules() {
        assertThatThrownBy(() -> flag("history.ttl", "0s")).hasMessage("history.ttl (0s) must be positive");
        assertThatThrownBy(() -> flag("shutdown.drainTimeout", "-PT5S"))
                .hasMessage("shutdown.drainTimeout (-5s) must not be negative");
        assertThat(flag("shutdown.drainTimeout", "0s").shutdown().drainTimeout()).isZero();
    }

    @ParameterizedTest
    @CsvSource({"9000, 9000", "+9000, 9000", "0, 0", "007, 7"})
    void integersAreWholeNumbers(String text, int expected) {
        assertThat(flag("server.port", text).server().port()).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "9000.0", "9e3", "0x10", "1_000", "", " 80"})
    void badIntegersNameKeyValueAndRule(String text) {
        assertThatThrownBy(() -> flag("server.port", text))
                .isExactlyInstanceOf(ConfigException.class)
                .hasMessage("server.port (" + text + ") must be a whole number");
    }

    @Test
    void integersBeyondIntAreRejectedBeforeTheRangeCheck() {
        assertThatThrownBy(() -> flag("server.port", "99999999999"))
                .hasMessage("server.port (99999999999) must be a whole number between -2147483648 and 2147483647");
    }

    @ParameterizedTest
    @CsvSource({"65536, 65536", "64KiB, 65536", "64 KiB, 65536", "1MiB, 1048576", "1GiB, 1073741824"})
    void sizesArePlainBytesOrBinaryUnits(String text, int bytes) {
        assertThat(flag("websocket.maxQueuedBytes", text).websocket().maxQueuedBytes()).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"64KB", "1MB", "64k", "64kib", "1.5MiB", "-1", "KiB", ""})
    void decimalOrUnknownSizeUnitsAreRejected(String text) {
        assertThatThrownBy(() -> flag("websocket.maxQueuedBytes", text))
                .isExactlyInstanceOf(ConfigException.class)
                .hasMessage("websocket.maxQueuedBytes (" + text + ") must be a size like 65536, 64KiB or 1MiB");
    }

    @Test
    void sizesBeyondIntAreRejected() {
        assertThatThrownBy(() -> flag("websocket.maxQueuedBytes", "2GiB"))
                .hasMessage("websocket.maxQueuedBytes (2GiB) must be a size of at most 2147483647 bytes");
        assertThatThrownBy(() -> flag("websocket.maxQueuedBytes", "9999999999999999999GiB"))
                .hasMessage("websocket.maxQueuedBytes (9999999999999999999GiB) must be a size of at most"
                        + " 2147483647 bytes");
    }

    @ParameterizedTest
    @CsvSource({"true, true", "false, false", "TRUE, true", "False, false"})
    void booleansAreTrueOrFalse(String text, boolean expected) {
        assertThat(flag("websocket.enableCompression", text).websocket().enableCompression()).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"yes", "no", "on", "1", ""})
    void badBooleansNameKeyValueAndRule(String text) {
        assertThatThrownBy(() -> flag("websocket.enableCompression", text))
                .isExactlyInstanceOf(ConfigException.class)
                .hasMessage("websocket.enableCompression (" + text + ") must be true or false");
    }

    @Test
    void listsAreCommaSeparatedWithItemsTrimmedAndEmptiesDropped() {
        assertThat(flag("security.allowedOrigins", " https://a.example ,,https://b.example, ")
                .security().allowedOrigins()).containsExactly("https://a.example", "https://b.example");
        assertThat(flag("security.allowedOrigins", "").security().allowedOrigins()).isEmpty();
    }

    @Test
    void stringsAreTakenAsWritten() {
        assertThat(flag("server.nodeId", "node-1").server().nodeId()).isEqualTo("node-1");
        assertThatThrownBy(() -> flag("server.nodeId", "node 1"))
                .hasMessage("server.nodeId (node 1) must match [A-Za-z0-9_.-]{1,32}");
    }

    @Test
    void everyDefaultWrittenAsConfigTextParsesBackToTheDefault() {
        Map<String, String> allDefaults = new HashMap<>();
        for (ConfigKey key : ConfigKeys.all()) {
            allDefaults.put(key.key(), key.defaultValue());
        }

        assertThat(ConfigLoader.load(null, Map.of(), allDefaults)).isEqualTo(SwitchboardConfig.defaults());
    }

    @Test
    void durationsAreFormattedInTheLargestUnitThatCountsAtLeastTwo() {
        List<String> formatted = List.of(Duration.ofMillis(250), Duration.ofSeconds(60), Duration.ofSeconds(70),
                Duration.ofMinutes(2), Duration.ofMinutes(60), Duration.ofHours(2), Duration.ofHours(24),
                Duration.ofDays(2), Duration.ZERO).stream().map(Check::format).toList();

        assertThat(formatted).containsExactly("250ms", "60s", "70s", "2m", "60m", "2h", "24h", "2d", "0s");
    }

    @Test
    void sizesAreFormattedInTheLargestExactBinaryUnit() {
        assertThat(List.of(0, 1000, 1024, 65536, 1048576, 1073741824, 1536).stream().map(ValueType.BYTES::format))
                .containsExactly("0", "1000", "1KiB", "64KiB", "1MiB", "1GiB", "1536");
    }

    private static SwitchboardConfig flag(String key, String value) {
        return ConfigLoader.load(null, Map.of(), Map.of(key, value));
    }
}
