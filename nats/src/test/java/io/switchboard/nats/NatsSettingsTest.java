package io.switchboard.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchboard.core.config.ConfigException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class NatsSettingsTest {

    @Test
    void defaultsAreDocumented() {
        NatsSettings s = NatsSettings.defaults("nats://127.0.0.1:4222");
        assertThat(s.servers()).containsExactly("nats://127.0.0.1:4222");
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.subjectPrefix()).isEqualTo("switchboard");
        assertThat(s.token()).isNull();
        assertThat(s.user()).isNull();
        assertThat(s.password()).isNull();
        assertThat(s.pingInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.maxPendingMessages()).isEqualTo(65_536);
    }

    @Test
    void acceptsNatsAndTlsUrlsWithOrWithoutPort() {
        NatsSettings s = NatsSettings.defaults("nats://a:4222", "tls://b.example:4443", "nats://c", "NATS://d:1");
        assertThat(s.servers()).hasSize(4);
    }

    @Test
    void rejectsMissingOrBrokenServers() {
        assertThatThrownBy(() -> NatsSettings.defaults()).isInstanceOf(ConfigException.class)
                .hasMessage("nats.servers must name at least one server");
        assertThatThrownBy(() -> NatsSettings.defaults((String[]) null)).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> NatsSettings.defaults("http://a:4222"))
                .hasMessage("nats.servers (http://a:4222) must be a nats:// or tls:// URL");
        assertThatThrownBy(() -> NatsSettings.defaults("127.0.0.1:4222")).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> NatsSettings.defaults("nats://")).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> NatsSettings.defaults("nats://a:99999"))
                .hasMessage("nats.servers (nats://a:99999) port must be between 1 and 65535");
        assertThatThrownBy(() -> NatsSettings.defaults("nats://a:4222/x")).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> NatsSettings.defaults(" ")).isInstanceOf(ConfigException.class);
    }

    @Test
    void refusesCredentialsInUrlsWithoutEchoingThem() {
        assertThatThrownBy(() -> NatsSettings.defaults("nats://u:secret@a:4222"))
                .isInstanceOf(ConfigException.class)
                .hasMessageNotContaining("secret")
                .hasMessageContaining("use nats.user/nats.password or nats.token");
    }

    @Test
    void validatesTimesSizesAndPrefix() {
        NatsSettings s = NatsSettings.defaults("nats://a");
        assertThatThrownBy(() -> s.withTimeout(Duration.ZERO)).hasMessage("nats.timeout (PT0S) must be positive");
        assertThatThrownBy(() -> s.withTimeout(null)).hasMessage("nats.timeout is required");
        assertThatThrownBy(() -> s.withPingInterval(Duration.ofMillis(-1))).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> s.withMaxPendingMessages(0))
                .hasMessage("nats.maxPendingMessages (0) must be between 1 and 10000000");
        for (String bad : List.of("", "a.", ".a", "a..b", "a b", "a.*", "a.>", "x".repeat(65))) {
            assertThatThrownBy(() -> s.withSubjectPrefix(bad)).as(bad).isInstanceOf(ConfigException.class);
        }
        assertThat(s.withSubjectPrefix("acme.prod_1.sb-2").subjectPrefix()).isEqualTo("acme.prod_1.sb-2");
    }

    @Test
    void credentialsComeAsATokenOrAsUserAndPasswordNeverBoth() {
        NatsSettings s = NatsSettings.defaults("nats://a");
        assertThat(s.withToken("t0k").token()).isEqualTo("t0k");
        assertThat(s.withUserInfo("u", "p").user()).isEqualTo("u");
        assertThatThrownBy(() -> s.withUserInfo("u", null))
                .hasMessage("nats.user and nats.password must be set together");
        assertThatThrownBy(() -> s.withToken("t").withUserInfo("u", "p"))
                .hasMessage("nats.token and nats.user exclude each other");
        assertThatThrownBy(() -> s.withToken(" ")).isInstanceOf(ConfigException.class);
    }

    @Test
    void toStringHidesSecrets() {
        String printed = NatsSettings.defaults("nats://a").withUserInfo("alice", "s3cret").toString();
        assertThat(printed).contains("alice").doesNotContain("s3cret").contains("password=(hidden)");
        assertThat(NatsSettings.defaults("nats://a").withToken("t0k3n").toString()).doesNotContain("t0k3n");
    }
}
