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
        assertThat(s.subjectPrefix()).isEqualTo("switchboard");
        assertThat(s.token()).isEmpty();
        assertThat(s.user()).isEmpty();
        assertThat(s.password()).isEmpty();
        assertThat(s.credsFile()).isEmpty();
        assertThat(s.keepAliveInterval()).isEqualTo(Duration.ofSeconds(5));
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
                .hasMessage("nats.servers (http://a:4222) must be nats://host:port or tls://host:port");
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
        assertThatThrownBy(() -> new NatsBroker(s, Duration.ZERO)).hasMessage("timeout must be positive, was PT0S");
        assertThatThrownBy(() -> new NatsBroker(s, null)).hasMessage("timeout");
        assertThatThrownBy(() -> s.toBuilder().keepAliveInterval(Duration.ofMillis(-1)).build())
                .isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> s.toBuilder().maxPendingMessages(0).build())
                .hasMessage("nats.maxPendingMessages (0) must be between 1 and 10000000");
        for (String bad : List.of("", "a.", ".a", "a..b", "a b", "a.*", "a.>", "x".repeat(65))) {
            assertThatThrownBy(() -> s.toBuilder().subjectPrefix(bad).build()).as(bad)
                    .isInstanceOf(ConfigException.class);
        }
        assertThat(s.toBuilder().subjectPrefix("acme.prod_1.sb-2").build().subjectPrefix())
                .isEqualTo("acme.prod_1.sb-2");
    }

    @Test
    void credentialsComeAsATokenOrAsUserAndPasswordOrAsACredsFileNeverTwo() {
        NatsSettings s = NatsSettings.defaults("nats://a");
        assertThat(s.toBuilder().token("t0k").build().token()).isEqualTo("t0k");
        assertThat(s.toBuilder().user("u").password("p").build().user()).isEqualTo("u");
        assertThat(s.toBuilder().credsFile("/etc/nats/user.creds").build().credsFile())
                .isEqualTo("/etc/nats/user.creds");
        assertThatThrownBy(() -> s.toBuilder().user("u").build())
                .hasMessage("nats.user and nats.password must be set together");
        assertThatThrownBy(() -> s.toBuilder().token("t").user("u").password("p").build())
                .hasMessage("nats.token and nats.user exclude each other");
        assertThatThrownBy(() -> s.toBuilder().token("t").credsFile("/x.creds").build())
                .hasMessage("nats.credsFile excludes nats.token and nats.user");
        assertThatThrownBy(() -> s.toBuilder().token(" ").build()).isInstanceOf(ConfigException.class);
    }

    @Test
    void toStringHidesSecrets() {
        String printed = NatsSettings.builder().user("alice").password("s3cret").build().toString();
        assertThat(printed).contains("alice").doesNotContain("s3cret").contains("password=(hidden)");
        assertThat(NatsSettings.builder().token("t0k3n").build().toString()).doesNotContain("t0k3n");
    }
}
