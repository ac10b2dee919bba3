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
    void sentinelModeNeedsSentinelsAsHostPortAndIsNamedByItsMaster() {
        RedisSettings ok = RedisSettings.defaults();
        assertThatThrownBy(() -> ok.toBuilder().mode("shards").build())
                .hasMessage("redis.mode (shards) must be one of standalone, sentinel, cluster");
        assertThatThrownBy(() -> ok.toBuilder().mode("sentinel").build())
                .hasMessage("redis.sentinels ([]) must name at least one Sentinel when redis.mode is sentinel");
        assertThatThrownBy(() -> ok.toBuilder().sentinels(java.util.List.of("10.0.0.1")).build())
                .hasMessage("redis.sentinels (10.0.0.1) each must be host:port");
        assertThatThrownBy(() -> ok.toBuilder().sentinels(java.util.List.of("h:70000")).build())
                .hasMessage("redis.sentinels (h:70000) port must be between 1 and 65535");
        RedisSettings s = ok.toBuilder().mode("sentinel").sentinels(java.util.List.of("10.0.0.1:26379", "10.0.0.2:26379"))
                .masterName("main").build();
        assertThat(s.address()).isEqualTo("sentinel main@10.0.0.1:26379,10.0.0.2:26379/0");
        io.lettuce.core.RedisURI uri = LettuceClient.uri(s, java.time.Duration.ofSeconds(1));
        assertThat(uri.getSentinelMasterId()).isEqualTo("main");
        assertThat(uri.getSentinels()).hasSize(2);
    }

    @Test
    void clusterModeNeedsSeedNodesAsHostPortAndDatabaseZero() {
        RedisSettings ok = RedisSettings.defaults();
        assertThatThrownBy(() -> ok.toBuilder().mode("cluster").build())
                .hasMessage("redis.nodes ([]) must name at least one node when redis.mode is cluster");
        assertThatThrownBy(() -> ok.toBuilder().nodes(java.util.List.of("10.0.0.1")).build())
                .hasMessage("redis.nodes (10.0.0.1) each must be host:port");
        java.util.List<String> seeds = java.util.List.of("10.0.0.1:7000", "10.0.0.2:7000");
        assertThatThrownBy(() -> ok.toBuilder().mode("cluster").nodes(seeds).db(3).build())
                .hasMessage("redis.db (3) must be 0 when redis.mode is cluster");
        RedisSettings s = ok.toBuilder().mode("cluster").nodes(seeds).build();
        assertThat(s.cluster()).isTrue();
        assertThat(s.address()).isEqualTo("cluster 10.0.0.1:7000,10.0.0.2:7000");
        assertThatThrownBy(() -> new RedisClusterBroker(ok, java.time.Duration.ofSeconds(1)))
                .hasMessage("RedisClusterBroker needs redis.mode cluster, was standalone");
    }

    @Test
    void anAclUserNeedsAPasswordAndACaFileNeedsTls() {
        RedisSettings ok = RedisSettings.defaults();
        assertThatThrownBy(() -> ok.toBuilder().username("app").build())
                .hasMessage("redis.username (app) needs redis.password");
        assertThatThrownBy(() -> ok.toBuilder().tlsCaFile("/etc/ca.pem").build())
                .hasMessage("redis.tlsCaFile (/etc/ca.pem) is used only with redis.tls: true");
        RedisSettings tls = ok.toBuilder().tls(true).build();
        assertThat(LettuceClient.uri(tls, java.time.Duration.ofSeconds(1)).isSsl()).isTrue();
    }

    @Test
    void theBrokerAndStoresRejectANonPositiveTimeout() {
        assertThatThrownBy(() -> new RedisBroker(RedisSettings.defaults(), java.time.Duration.ZERO))
                .hasMessage("timeout must be positive, was PT0S");
    }
}
