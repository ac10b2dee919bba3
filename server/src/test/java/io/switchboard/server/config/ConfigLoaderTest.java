package io.switchboard.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchboard.core.config.ConfigException;
import io.switchboard.core.config.History;
import io.switchboard.core.config.Hub;
import io.switchboard.core.config.Security;
import io.switchboard.core.config.WebSocket;
import io.switchboard.nats.NatsSettings;
import io.switchboard.redis.RedisSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sources, precedence, unknown keys, file errors and secrets. Value syntax is in {@link ValueTypesTest}. */
class ConfigLoaderTest {

    @TempDir
    Path dir;

    @Test
    void nothingConfiguredGivesTheDocumentedDefaults() {
        assertThat(ConfigLoader.load(null, Map.of(), Map.of())).isEqualTo(SwitchboardConfig.defaults());
    }

    @Test
    void fileOverridesDefaultsKeyByKey() {
        SwitchboardConfig config = ConfigLoader.load(yaml("server:\n  port: 9000\n"), Map.of(), Map.of());

        assertThat(config.server().port()).isEqualTo(9000);
        assertThat(config.server().host()).isEqualTo("0.0.0.0");
        assertThat(config.websocket()).isEqualTo(WebSocket.defaults());
    }

    @Test
    void aNatsBrokerMayKeepHistoryInJetStreamAndPresenceInNatsKvWithoutRedis() {
        SwitchboardConfig nats = ConfigLoader.load(null, Map.of(), Map.of("cluster.broker", "nats",
                "cluster.history", "jetstream", "cluster.presence", "nats"));
        assertThat(nats.cluster().historyStore()).isEqualTo("jetstream");
        assertThat(nats.cluster().presenceStore()).isEqualTo("nats");
        assertThat(ConfigLoader.load(null, Map.of(), Map.of("cluster.broker", "nats")).cluster().historyStore())
                .as("auto stays redis, as before").isEqualTo("redis");
    }

    @Test
    void theNatsStoresWithoutTheNatsBrokerAreRefusedAtStartUp() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(),
                Map.of("cluster.broker", "redis", "cluster.history", "jetstream")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cluster.history (jetstream) needs cluster.broker: nats (was redis); with a redis"
                        + " broker use redis or auto");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("cluster.history", "jetstream")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cluster.history (jetstream) needs cluster.broker: nats (was memory); with a"
                        + " memory broker use memory or auto");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(),
                Map.of("cluster.broker", "redis", "cluster.presence", "nats")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cluster.presence (nats) needs cluster.broker: nats (was redis)");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(),
                Map.of("cluster.broker", "nats", "cluster.history", "nats")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cluster.history (nats) must be one of auto, memory, redis, jetstream");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(),
                Map.of("cluster.broker", "nats", "cluster.presence", "jetstream")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cluster.presence (jetstream) must be one of auto, memory, redis, nats");
    }

    @Test
    void aClusteredBrokerTakesRedisHistoryAndPresenceByDefaultAndRefusesMemoryOnes() {
        SwitchboardConfig redis = ConfigLoader.load(null, Map.of("SWITCHBOARD_CLUSTER_BROKER", "redis"), Map.of());
        assertThat(redis.cluster().distributed()).isTrue();
        assertThat(redis.cluster().historyStore()).isEqualTo("redis");
        assertThat(redis.cluster().presenceStore()).isEqualTo("redis");
        SwitchboardConfig single = ConfigLoader.load(null, Map.of(), Map.of());
        assertThat(single.cluster().historyStore()).isEqualTo("memory");

        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(),
                Map.of("cluster.broker", "nats", "cluster.history", "memory")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cluster.history (memory) must be redis or jetstream (or auto) when cluster.broker"
                        + " is nats");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("cluster.broker", "kafka")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cluster.broker (kafka) must be one of memory, redis, nats");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("nats.servers", "http://x:4222")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("nats.servers (http://x:4222) must be nats://host:port or tls://host:port");
    }

    @Test
    void envOverridesFileAndFlagsOverrideEnv() {
        Path file = yaml("""
                server:
                  port: 9000
                websocket:
                  pingInterval: 20s
                history:
                  ttl: 1h
                """);
        Map<String, String> env = Map.of(
                "SWITCHBOARD_SERVER_PORT", "9001",
                "SWITCHBOARD_WEBSOCKET_PING_INTERVAL", "21s");
        Map<String, String> flags = Map.of("server.port", "9002");

        SwitchboardConfig config = ConfigLoader.load(file, env, flags);

        assertThat(config.server().port()).isEqualTo(9002);
        assertThat(config.websocket().pingInterval()).isEqualTo(Duration.ofSeconds(21));
        assertThat(config.history().ttl()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void aFullFileLoadsToTheExpectedValues() {
        Path file = yaml("""
                server:
                  host: 127.0.0.1
                  port: 9000
                  ioThreads: 4
                  nodeId: node-a
                  readTimeout: 20s
                  idleTimeout: 2m
                  maxRequestBytes: 2MiB
                websocket:
                  path: /socket
                  maxConnections: 5000
                  readBufferBytes: 128KiB
                  writeBufferBytes: 262144
                  handshakeTimeout: 5s
                  pingInterval: 20s
                  pongTimeout: PT45S
                  writeWait: 1500ms
                  maxFrameBytes: 16KiB
                  maxMessageBytes: 1MiB
                  maxQueuedBytes: 4MiB
                  maxRoomsPerConnection: 50
                  maxInvalidMessages: 3
                  enableCompression: true
                hub:
                  notifyGlobalPresence: true
                  maxRoomMembers: 10000
                  maxPendingFanouts: 1024
                  flushInterval: 20ms
                  maxFlushDelay: 5ms
                history:
                  size: 500
                  ttl: 1h
                shutdown.drainTimeout: 2d
                api:
                  keys:
                    - backend-key-0123456789
                    - other-key-abcdefghij
                redis:
                  host: redis.internal
                  port: 6380
                  password: redis-secret
                  db: 2
                monitoring:
                  enabled: false
                  port: 9100
                  metricsPath: /prom
                security:
                  requireAuth: true
                  jwtSecret: jwt-secret-value-of-at-least-32-bytes
                  allowedOrigins: https://a.example, https://b.example
                  rateLimitRps: 50
                  rateLimitBurst: 75
                """);

        SwitchboardConfig config = ConfigLoader.load(file, Map.of(), Map.of());

        assertThat(config).isEqualTo(SwitchboardConfig.builder()
                .server(Server.builder().host("127.0.0.1").port(9000).ioThreads(4).nodeId("node-a")
                        .readTimeout(Duration.ofSeconds(20)).idleTimeout(Duration.ofMinutes(2))
                        .maxRequestBytes(2 * 1024 * 1024).build())
                .websocket(WebSocket.builder().path("/socket").maxConnections(5000).readBufferBytes(128 * 1024)
                        .writeBufferBytes(262144).handshakeTimeout(Duration.ofSeconds(5))
                        .pingInterval(Duration.ofSeconds(20)).pongTimeout(Duration.ofSeconds(45))
                        .writeWait(Duration.ofMillis(1500)).maxFrameBytes(16 * 1024).maxMessageBytes(1024 * 1024)
                        .maxQueuedBytes(4 * 1024 * 1024).maxRoomsPerConnection(50).maxInvalidMessages(3)
                        .enableCompression(true).build())
                .hub(Hub.builder().notifyGlobalPresence(true).maxRoomMembers(10000).maxPendingFanouts(1024)
                        .flushInterval(Duration.ofMillis(20)).maxFlushDelay(Duration.ofMillis(5)).build())
                .history(History.builder().size(500).ttl(Duration.ofHours(1)).build())
                .shutdown(Shutdown.builder().drainTimeout(Duration.ofDays(2)).build())
                .api(Api.builder().keys(List.of("backend-key-0123456789", "other-key-abcdefghij")).build())
                .redis(RedisSettings.builder().host("redis.internal").port(6380).password("redis-secret").db(2).build())
                .monitoring(Monitoring.builder().enabled(false).port(9100).metricsPath("/prom").build())
                .security(Security.builder().requireAuth(true).jwtSecret("jwt-secret-value-of-at-least-32-bytes")
                        .allowedOrigins(List.of("https://a.example", "https://b.example")).rateLimitRps(50)
                        .rateLimitBurst(75).build())
                .build());
    }

    @Test
    void theExampleFileInTheRepositoryLoadsToTheDefaults() {
        Path example = TestFiles.repositoryRoot().resolve(ConfigDocs.EXAMPLE_PATH);

        assertThat(ConfigLoader.load(example, Map.of(), Map.of())).isEqualTo(SwitchboardConfig.defaults());
    }

    @Test
    void dottedKeysInTheFileMeanTheSameAsNestedOnes() {
        SwitchboardConfig config = ConfigLoader.load(yaml("""
                websocket.pingInterval: 5s
                websocket:
                  pongTimeout: 15s
                """), Map.of(), Map.of());

        assertThat(config.websocket().pingInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.websocket().pongTimeout()).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void settingOneKeyTwiceInAFileIsAnError() {
        Path file = yaml("history.ttl: 5m\nhistory:\n  ttl: 6m\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
                .isExactlyInstanceOf(ConfigException.class)
                .hasMessage("history.ttl is set twice in config file " + file);
    }

    @Test
    void repeatingAKeyInOneYamlMappingIsAnError() {
        Path file = yaml("server:\n  port: 1\n  port: 2\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
                .hasMessage("cannot read config file " + file + ": Duplicate field 'port' (line 3, column 7)");
    }

    @Test
    void anEmptyFileSetsNothing() {
        assertThat(ConfigLoader.load(yaml(""), Map.of(), Map.of())).isEqualTo(SwitchboardConfig.defaults());
        assertThat(ConfigLoader.load(yaml("# only a comment\n"), Map.of(), Map.of()))
                .isEqualTo(SwitchboardConfig.defaults());
    }

    @Test
    void anEmptyYamlValueIsTheEmptyString() {
        SwitchboardConfig config = ConfigLoader.load(yaml("server:\n  nodeId:\nredis:\n  password: ~\n"),
                Map.of(), Map.of("server.nodeId", ""));

        assertThat(config.server().nodeId()).isEmpty();
        assertThat(config.redis().password()).isEmpty();
    }

    @Test
    void yamlScalarsAreReadAsWrittenNotAsYaml11Types() {
        SwitchboardConfig config = ConfigLoader.load(yaml("server:\n  nodeId: no\n"), Map.of(), Map.of());

        assertThat(config.server().nodeId()).isEqualTo("no");
        assertThatThrownBy(() -> ConfigLoader.load(yaml("websocket:\n  enableCompression: yes\n"), Map.of(), Map.of()))
                .hasMessage("websocket.enableCompression (yes) must be true or false");
    }

    @Test
    void yamlAliasesAreRejectedRatherThanMisread() {
        Path file = yaml("server:\n  port: &p 9000\nredis:\n  port: *p\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
                .hasMessage("cannot read config file " + file + ": YAML aliases are not supported (line 4, column 9)");
    }

    @Test
    void variablesWithoutTheSwitchboardPrefixAreIgnored() {
        Map<String, String> env = Map.of("PATH", "/usr/bin", "HOME", "/root", "switchboard_server_port", "1",
                "SWITCHBOARDSERVER_PORT", "2");

        assertThat(ConfigLoader.load(null, env, Map.of())).isEqualTo(SwitchboardConfig.defaults());
    }

    @Test
    void launcherVariablesOnTheAllowListAreIgnored() {
        Map<String, String> env = Map.of("SWITCHBOARD_HOME", "/opt/switchboard", "SWITCHBOARD_OPTS", "--port 1",
                "SWITCHBOARD_JAVA_OPTS", "-Xmx1g");

        assertThat(ConfigLoader.load(null, env, Map.of())).isEqualTo(SwitchboardConfig.defaults());
    }

    @Test
    void everyKeyHasAnUpperSnakeEnvironmentVariable() {
        Map<String, String> env = Map.of(
                "SWITCHBOARD_HUB_NOTIFY_GLOBAL_PRESENCE", "true",
                "SWITCHBOARD_SERVER_IO_THREADS", "2",
                "SWITCHBOARD_WEBSOCKET_MAX_ROOMS_PER_CONNECTION", "7",
                "SWITCHBOARD_SECURITY_RATE_LIMIT_RPS", "9");

        SwitchboardConfig config = ConfigLoader.load(null, env, Map.of());

        assertThat(config.hub().notifyGlobalPresence()).isTrue();
        assertThat(config.server().ioThreads()).isEqualTo(2);
        assertThat(config.websocket().maxRoomsPerConnection()).isEqualTo(7);
        assertThat(config.security().rateLimitRps()).isEqualTo(9);
    }

    @Test
    void apiKeysComeFromACommaSeparatedEnvironmentVariable() {
        SwitchboardConfig config = ConfigLoader.load(null,
                Map.of("SWITCHBOARD_API_KEYS", "backend-key-0123456789, other-key-abcdefghij,"), Map.of());

        assertThat(config.api().keys()).containsExactly("backend-key-0123456789", "other-key-abcdefghij");
    }

    @Test
    void unknownKeyInTheFileNamesTheFileAndTheNearestKey() {
        Path file = yaml("websocket:\n  pingIntervall: 25s\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
                .isExactlyInstanceOf(ConfigException.class)
                .hasMessage("unknown configuration key websocket.pingIntervall in config file " + file
                        + " (did you mean websocket.pingInterval?)");
    }

    @Test
    void unknownSectionInTheFileSuggestsTheSection() {
        Path file = yaml("servr:\n  port: 9000\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
                .hasMessage("unknown configuration key servr.port in config file " + file
                        + " (did you mean server.port?)");
    }

    @Test
    void unknownSwitchboardVariableNamesTheVariableAndTheNearestOne() {
        Map<String, String> env = Map.of("SWITCHBOARD_WEBSOCKET_PING_INTERVALL", "25s");

        assertThatThrownBy(() -> ConfigLoader.load(null, env, Map.of()))
                .isExactlyInstanceOf(ConfigException.class)
                .hasMessage("unknown configuration key in environment variable SWITCHBOARD_WEBSOCKET_PING_INTERVALL"
                        + " (did you mean SWITCHBOARD_WEBSOCKET_PING_INTERVAL?)");
    }

    @Test
    void unknownFlagNamesTheCommandLineAndTheNearestKey() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("websocket.pingIntervall", "25s")))
                .isExactlyInstanceOf(ConfigException.class)
                .hasMessage("unknown configuration key websocket.pingIntervall on the command line"
                        + " (did you mean websocket.pingInterval?)");
    }

    @Test
    void aKeyFarFromEveryKeyListsTheKeysOfTheSectionItNames() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("cluster.redis.url", "redis://x:6379")))
                .hasMessage("unknown configuration key cluster.redis.url on the command line"
                        + " (the redis section has redis.mode, redis.host, redis.port, redis.sentinels, redis.masterName,"
                        + " redis.nodes, redis.username, redis.password, redis.db, redis.keyPrefix, redis.tls, redis.tlsCaFile,"
                        + " redis.replicaAcks, redis.probeInterval, redis.probeTimeout)");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("cluster.seeds", "a,b")))
                .hasMessageStartingWith("unknown configuration key cluster.seeds on the command line"
                        + " (the cluster section has cluster.broker, cluster.history, ");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SWITCHBOARD_REDIS_CONNECTION_STRING_URI", "m"), Map.of()))
                .hasMessage("unknown configuration key in environment variable SWITCHBOARD_REDIS_CONNECTION_STRING_URI"
                        + " (the redis section has SWITCHBOARD_REDIS_MODE, SWITCHBOARD_REDIS_HOST, SWITCHBOARD_REDIS_PORT,"
                        + " SWITCHBOARD_REDIS_SENTINELS, SWITCHBOARD_REDIS_MASTER_NAME, SWITCHBOARD_REDIS_NODES, SWITCHBOARD_REDIS_USERNAME,"
                        + " SWITCHBOARD_REDIS_PASSWORD, SWITCHBOARD_REDIS_DB, SWITCHBOARD_REDIS_KEY_PREFIX,"
                        + " SWITCHBOARD_REDIS_TLS, SWITCHBOARD_REDIS_TLS_CA_FILE, SWITCHBOARD_REDIS_REPLICA_ACKS,"
                        + " SWITCHBOARD_REDIS_PROBE_INTERVAL, SWITCHBOARD_REDIS_PROBE_TIMEOUT)");
    }

    @Test
    void aKeyInTheWrongSectionSuggestsTheSectionThatHasIt() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("server.pingInterval", "25s")))
                .hasMessage("unknown configuration key server.pingInterval on the command line"
                        + " (did you mean websocket.pingInterval?)");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SWITCHBOARD_SERVER_PING_INTERVAL", "25s"), Map.of()))
                .hasMessage("unknown configuration key in environment variable SWITCHBOARD_SERVER_PING_INTERVAL"
                        + " (did you mean SWITCHBOARD_WEBSOCKET_PING_INTERVAL?)");
    }

    @Test
    void anUnknownKeyFarFromEveryKeySuggestsNothing() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("gossip.seeds", "a,b")))
                .hasMessage("unknown configuration key gossip.seeds on the command line");
    }

    @Test
    void aSectionWrittenAsAValueIsAnError() {
        Path file = yaml("server: 8080\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
                .hasMessage("configuration section server in config file " + file
                        + " must be a mapping of keys such as server.host");
    }

    @Test
    void aFileThatIsNotAMappingIsAnError() {
        Path file = yaml("- server\n- port\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
                .hasMessage("cannot read config file " + file
                        + ": the top level must be a mapping of sections such as server:");
    }

    @Test
    void aMissingFileIsAnErrorNamingIt() {
        Path missing = dir.resolve("missing.yaml");

        assertThatThrownBy(() -> ConfigLoader.load(missing, Map.of(), Map.of()))
                .isExactlyInstanceOf(ConfigException.class)
                .hasMessage("cannot read config file " + missing + ": no such file");
    }

    @Test
    void aDirectoryIsNotAReadableFile() {
        assertThatThrownBy(() -> ConfigLoader.load(dir, Map.of(), Map.of()))
                .hasMessage("cannot read config file " + dir + ": Is a directory");
    }

    @Test
    void invalidYamlNamesTheFileTheProblemAndThePosition() {
        Path file = yaml("server:\n  port: 8080\n   host: x\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
                .isExactlyInstanceOf(ConfigException.class)
                .hasMessage("cannot read config file " + file
                        + ": mapping values are not allowed here (line 3, column 8)");
    }

    @Test
    void invalidYamlNeverQuotesTheLineItFailedOn() {
        Path file = yaml("security:\n  jwtSecret: \"s3cret-jwt-value\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
                .hasMessage("cannot read config file " + file
                        + ": while scanning a quoted scalar: found unexpected end of stream (line 2, column 12)");
    }

    @Test
    void secretsAreHiddenInValueErrors() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SWITCHBOARD_API_KEYS", "short"), Map.of()))
                .hasMessage("api.keys (hidden) must each have at least 16 characters (one has 5)");
        assertThatThrownBy(() -> ConfigLoader.load(yaml("redis:\n  password: [hunter2]\n"), Map.of(), Map.of()))
                .hasMessage("redis.password (hidden) must be a single value, not a list");
        assertThatThrownBy(() -> ConfigLoader.load(yaml("api:\n  keys:\n    k: backend-key-0123456789\n"),
                Map.of(), Map.of()))
                .hasMessage("api.keys (hidden) must be a list");
    }

    @Test
    void theNatsCredentialsAndConnectionSettingsComeFromEverySource() {
        SwitchboardConfig config = ConfigLoader.load(yaml("""
                nats:
                  servers: [tls://nats.internal:4443]
                  subjectPrefix: acme.prod
                  keepAliveInterval: 2s
                """), Map.of("SWITCHBOARD_NATS_USER", "node", "SWITCHBOARD_NATS_PASSWORD", "nats-secret"),
                Map.of("nats.maxPendingMessages", "1000"));

        assertThat(config.nats()).isEqualTo(NatsSettings.builder().servers(List.of("tls://nats.internal:4443"))
                .subjectPrefix("acme.prod").user("node").password("nats-secret")
                .keepAliveInterval(Duration.ofSeconds(2)).maxPendingMessages(1000).build());
        assertThat(ConfigLoader.load(null, Map.of("SWITCHBOARD_NATS_TOKEN", "t0k3n"), Map.of()).nats().token())
                .isEqualTo("t0k3n");
        assertThat(ConfigLoader.load(null, Map.of(), Map.of("nats.credsFile", "/etc/nats/node.creds"))
                .nats().credsFile()).isEqualTo("/etc/nats/node.creds");
    }

    @Test
    void natsCredentialsAreCheckedTogetherAndNeverShown() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("nats.token", "t0k3n", "nats.user", "u",
                "nats.password", "p")))
                .isInstanceOf(ConfigException.class).hasMessage("nats.token and nats.user exclude each other");
        assertThatThrownBy(() -> ConfigLoader.load(yaml("nats:\n  password: [hunter2]\n"), Map.of(), Map.of()))
                .hasMessage("nats.password (hidden) must be a single value, not a list");
        assertThatThrownBy(() -> ConfigLoader.load(yaml("nats:\n  token: [hunter2]\n"), Map.of(), Map.of()))
                .hasMessage("nats.token (hidden) must be a single value, not a list");
        assertThat(ConfigLoader.load(null, Map.of(), Map.of("nats.user", "u", "nats.password", "nats-secret"))
                .toString()).doesNotContain("nats-secret").contains("password=(hidden)");
    }

    @Test
    void secretsAreHiddenWhenTheConfigIsPrinted() {
        SwitchboardConfig config = ConfigLoader.load(null, Map.of(), Map.of(
                "api.keys", "backend-key-0123456789",
                "redis.password", "redis-secret",
                "security.jwtSecret", "jwt-secret-value"));

        assertThat(config.toString())
                .doesNotContain("backend-key-0123456789", "redis-secret", "jwt-secret-value")
                .contains("Api[keys=(hidden)]", "password=(hidden)", "jwtSecret=(hidden)");
    }

    @Test
    void crossFieldRulesOfTheRecordsPropagate() {
        Path file = yaml("websocket:\n  pingInterval: 70s\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
                .isExactlyInstanceOf(ConfigException.class)
                .hasMessage("websocket.pingInterval (70s) must be shorter than websocket.pongTimeout (60s)");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("websocket.maxFrameBytes", "128KiB")))
                .hasMessage("websocket.maxFrameBytes (131072) must not exceed websocket.maxMessageBytes (65536)");
    }

    @Test
    void aFlushIntervalOverOneSecondIsRefused() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("hub.flushInterval", "2s")))
                .isExactlyInstanceOf(ConfigException.class)
                .hasMessage("hub.flushInterval (2s) must be between 0s and 1s");
        assertThat(ConfigLoader.load(null, Map.of("SWITCHBOARD_HUB_FLUSH_INTERVAL", "20ms"), Map.of()).hub()
                .flushInterval()).isEqualTo(Duration.ofMillis(20));
    }

    @Test
    void theOverloadPolicyIsCloseOrThrottle() {
        assertThat(ConfigLoader.load(null, Map.of(), Map.of()).hub().overloadPolicy()).isEqualTo("close");
        assertThat(ConfigLoader.load(null, Map.of("SWITCHBOARD_HUB_OVERLOAD_POLICY", "throttle"), Map.of()).hub()
                .throttles()).isTrue();
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("hub.overloadPolicy", "wait")))
                .isExactlyInstanceOf(ConfigException.class)
                .hasMessage("hub.overloadPolicy (wait) must be one of close, throttle");
    }

    @Test
    void adaptiveFlushingIsOnByDefaultAndZeroTurnsItOff() {
        assertThat(ConfigLoader.load(null, Map.of(), Map.of()).hub().maxFlushDelay()).isEqualTo(Duration.ofMillis(10));
        assertThat(ConfigLoader.load(null, Map.of(), Map.of("hub.maxFlushDelay", "0s")).hub().maxFlushDelay())
                .isZero();
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("hub.maxFlushDelay", "5s")))
                .isExactlyInstanceOf(ConfigException.class)
                .hasMessage("hub.maxFlushDelay (5s) must be between 0s and 1s");
    }

    @Test
    void aBadValueFailsEvenWhenALaterSourceOverridesIt() {
        Path file = yaml("server:\n  port: eighty\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of("SWITCHBOARD_SERVER_PORT", "80"), Map.of()))
                .hasMessage("server.port (eighty) must be a whole number");
    }

    @Test
    void rangeRulesOfTheRecordsPropagate() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SWITCHBOARD_SERVER_PORT", "70000"), Map.of()))
                .hasMessage("server.port (70000) must be between 0 and 65535");
    }

    private Path yaml(String text) {
        try {
            return Files.writeString(Files.createTempFile(dir, "switchboard", ".yaml"), text);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
