package io.switchboard.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RedisSettingsTest {

    @Test
    void defaultsToAOneSecondTimeoutAndTheSwitchboardPrefix() {
        RedisSettings s = new RedisSettings("localhost", 6379);
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.keyPrefix()).isEqualTo("switchboard:");
        assertThat(s.password()).isNull();
        assertThat(s.db()).isZero();
        assertThat(s.address()).isEqualTo("localhost:6379/0");
    }

    @Test
    void neverPrintsThePassword() {
        RedisSettings s = new RedisSettings("localhost", 6379).withPassword("s3cret");
        assertThat(s.toString()).doesNotContain("s3cret").contains("password=***");
    }

    @Test
    void rejectsWhatCannotWork() {
        RedisSettings ok = new RedisSettings("localhost", 6379);
        assertThatThrownBy(() -> new RedisSettings(" ", 6379)).hasMessage("host must not be blank");
        assertThatThrownBy(() -> new RedisSettings("h", 0)).hasMessage("port must be in 1..65535, was 0");
        assertThatThrownBy(() -> ok.withDb(-1)).hasMessage("db must be >= 0, was -1");
        assertThatThrownBy(() -> ok.withTimeout(Duration.ZERO)).hasMessage("timeout must be positive, was PT0S");
        assertThatThrownBy(() -> ok.withPassword("")).hasMessage("password must be null or non-empty");
        assertThatThrownBy(() -> ok.withKeyPrefix("{sb}:"))
                .hasMessage("keyPrefix may only contain [A-Za-z0-9_.:@/-], was '{sb}:'");
        assertThat(ok.withKeyPrefix("").keyPrefix()).isEmpty();
    }
}
