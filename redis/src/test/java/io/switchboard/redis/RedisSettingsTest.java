package io.switchboard.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchboard.core.config.ConfigException;
import org.junit.jupiter.api.Test;

class RedisSettingsTest {

    @Test
    void defaultsToTheLocalRedisWithoutPasswordAndTheSwitchboardPrefix() {
        RedisSettings s = RedisSettings.defaults();
        assertThat(s.keyPrefix()).isEqualTo("switchboard:");
        assertThat(s.password()).isEmpty();
        assertThat(s.db()).isZero();
        assertThat(s.address()).isEqualTo("127.0.0.1:6379/0");
    }

    @Test
    void neverPrintsThePassword() {
        RedisSettings s = RedisSettings.builder().password("s3cret").build();
        assertThat(s.toString()).doesNotContain("s3cret").contains("password=(hidden)");
    }

    @Test
    void rejectsWhatCannotWork() {
        RedisSettings ok = RedisSettings.defaults();
        assertThatThrownBy(() -> ok.toBuilder().host(" ").build()).isInstanceOf(ConfigException.class)
                .hasMessage("redis.host must not be empty");
        assertThatThrownBy(() -> ok.toBuilder().port(0).build())
                .hasMessage("redis.port (0) must be between 1 and 65535");
        assertThatThrownBy(() -> ok.toBuilder().db(-1).build()).hasMessage("redis.db (-1) must be between 0 and 15");
        assertThatThrownBy(() -> ok.toBuilder().keyPrefix("{sb}:").build())
                .hasMessage("redis.keyPrefix ({sb}:) may only contain [A-Za-z0-9_.:@/-]");
        assertThat(ok.toBuilder().keyPrefix("").build().keyPrefix()).isEmpty();
    }

    @Test
    void theBrokerAndStoresRejectANonPositiveTimeout() {
        assertThatThrownBy(() -> new RedisBroker(RedisSettings.defaults(), java.time.Duration.ZERO))
                .hasMessage("timeout must be positive, was PT0S");
    }
}
