package io.switchboard.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A real redis-server: skipped without the binary (failed on CI). */
class RedisServerProcessTest {
    @Test
    void startsOnAFreePortAnswersAndSurvivesAKillWithItsAppendOnlyFile() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start(true)) {
            assertThat(redis.port()).isNotEqualTo(6379);
            assertThat(redis.uri()).isEqualTo("redis://127.0.0.1:" + redis.port());
            assertThat(redis.call("SET", "k", "v")).isEqualTo("+OK");
            assertThat(redis.call("GET", "k")).isEqualTo("v");

            redis.kill9();
            assertThatThrownBy(() -> redis.call("PING")).isInstanceOf(IOException.class);

            redis.restart();
            assertThat(redis.call("GET", "k")).as("acknowledged writes survive kill -9").isEqualTo("v");
        }
    }

    @Test
    void aStoppedServerKeepsItsPortButDoesNotAnswerUntilContinued() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start(false)) {
            redis.stop();
            assertThatThrownBy(() -> redis.call("PING")).isInstanceOf(IOException.class);
            redis.cont();
            assertThat(redis.call("PING")).isEqualTo("+PONG");
        }
    }

    @Test
    void restartRefusesWhileRunningAndCloseDeletesTheDirectory() throws Exception {
        Path dir;
        try (RedisServerProcess redis = RedisServerProcess.start(false)) {
            assertThatThrownBy(redis::restart).isInstanceOf(IllegalStateException.class);
            assertThat(redis.call("CONFIG", "GET", "dir")).isEqualTo("*2");
            dir = Path.of(System.getProperty("java.io.tmpdir"));
            try (var dirs = Files.list(dir)) {
                dir = dirs.filter(d -> d.getFileName().toString().startsWith("switchboard-redis-"))
                        .filter(d -> Files.exists(d.resolve("redis.log")))
                        .filter(d -> log(d).contains(Integer.toString(redis.port())))
                        .findFirst().orElseThrow();
            }
        }
        assertThat(dir).doesNotExist();
    }

    private static String log(Path dir) {
        try {
            return Files.readString(dir.resolve("redis.log"));
        } catch (IOException e) {
            return "";
        }
    }
}
