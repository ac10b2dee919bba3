package io.switchboard.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigKeysTest {

    @Test
    void everyComponentOfEverySectionRecordIsAKeyInRecordOrder() {
        List<String> expected = new ArrayList<>();
        for (RecordComponent section : SwitchboardConfig.class.getRecordComponents()) {
            if (section.getType() == java.util.Map.class) {
                continue; // a map section: its keys name an entry (NamespaceConfigTest)
            }
            for (RecordComponent component : section.getType().getRecordComponents()) {
                expected.add(section.getName() + "." + component.getName());
            }
        }

        assertThat(ConfigKeys.all()).extracting(ConfigKey::key).containsExactlyElementsOf(expected).hasSize(118);
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
    void onlyTheApiKeysTheJwtSecretTheRedisAndNatsCredentialsTheWebhookSecretAndTheAdminPasswordAreSecret() {
        assertThat(ConfigKeys.all()).filteredOn(ConfigKey::secret).extracting(ConfigKey::key)
                .containsExactly("api.keys", "redis.password", "security.jwtSecret", "nats.token", "nats.password",
                        "hooks.secret", "admin.password");
    }

    @Test
    void everySectionIsUsedByTheServer() {
        assertThat(ConfigKeys.sections()).filteredOn(s -> !s.usedByServer()).extracting(ConfigKeys.Section::name)
                .isEmpty();
    }

    @Test
    void everyKeyIsDescribedByItsRecordsParamAndEverySectionByItsRecordsFirstSentence() {
        ConfigJavadoc docs = ConfigJavadoc.read(TestFiles.repositoryRoot());

        assertThat(ConfigKeys.all()).allSatisfy(key -> assertThat(docs.key(key.key())).as(key.key()).isNotBlank());
        assertThat(docs.key("websocket.pingInterval"))
                .isEqualTo("how often the server pings; must be shorter than pongTimeout");
        assertThat(docs.key("hub.notifyGlobalPresence"))
                .isEqualTo("send `user_joined`/`user_left` to every connection (O(N) per connect)");
        assertThat(docs.key("redis.password")).isEqualTo("Redis password; empty means no AUTH");
        assertThat(docs.section("security")).isEqualTo("Authentication, origins, TLS and abuse limits.");
        assertThat(docs.section("nats")).isEqualTo("NATS connection for scale-out.");
    }

    @Test
    void theAdaptersOwnTheirSections() {
        assertThat(ConfigKeys.sections()).filteredOn(s -> s.name().equals("redis") || s.name().equals("nats"))
                .extracting(s -> s.record().getPackageName())
                .containsExactly("io.switchboard.redis", "io.switchboard.nats");
        assertThat(ConfigKeys.find("nats.credsFile")).isPresent();
    }
}
