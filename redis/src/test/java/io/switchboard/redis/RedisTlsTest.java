package io.switchboard.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchboard.testkit.Await;
import io.switchboard.testkit.RedisServerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker and the history store over TLS, against a redis-server with a certificate signed by a CA
 * made for the test (openssl): trusted through {@code redis.tlsCaFile}, refused without it.
 */
class RedisTlsTest {
    private static final Duration TIMEOUT = Duration.ofMillis(500);
    private static final Duration WAIT = Duration.ofSeconds(15);

    @TempDir
    static Path certs;

    private RedisServerProcess redis;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeAll
    static void makeCertificates() throws Exception {
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=switchboard-test-ca");
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                "-subj", "/CN=127.0.0.1");
        Files.writeString(certs.resolve("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf");
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void publishesSubscribesAndAppendsOverTlsTrustingTheConfiguredCa() throws Exception {
        redis = RedisServerProcess.startWithTls(certs.resolve("server.pem"), certs.resolve("server.key"));
        RedisSettings tls = TestSettings.of(redis).toBuilder().port(redis.tlsPort()).tls(true)
                .tlsCaFile(certs.resolve("ca.pem").toString()).build();
        RecordingListener in = new RecordingListener();
        RedisBroker broker = new RedisBroker(tls, TIMEOUT);
        closing.add(broker);
        Await.get(broker.start(in), WAIT);
        Await.get(broker.subscribe("room.tls"), WAIT);
        Await.get(broker.publish("room.tls", "secret".getBytes(StandardCharsets.UTF_8)), WAIT);
        assertThat(in.next(WAIT)).isEqualTo("room.tls=secret");

        RedisHistoryStore history = new RedisHistoryStore(tls, TIMEOUT, 10, Duration.ofMinutes(1));
        closing.add(history);
        assertThat(Await.get(history.append("tls", "alice", "c-1", "hi", null, 1L), WAIT).message().offset())
                .isEqualTo(1);
        List<String> adapters = redis.call("CLIENT", "LIST").lines().filter(l -> !l.contains("cmd=client|list")).toList();
        assertThat(adapters).as("the broker's two connections and the store's").hasSize(3)
                .allSatisfy(l -> assertThat(l).contains("laddr=127.0.0.1:" + redis.tlsPort() + " "));
    }

    @Test
    void refusesAServerItCannotVerify() throws Exception {
        redis = RedisServerProcess.startWithTls(certs.resolve("server.pem"), certs.resolve("server.key"));
        RedisSettings untrusted = TestSettings.of(redis).toBuilder().port(redis.tlsPort()).tls(true).build();
        RedisBroker broker = new RedisBroker(untrusted, TIMEOUT);
        closing.add(broker);
        CompletableFuture<Void> started = broker.start(new RecordingListener()).toCompletableFuture();
        assertThatThrownBy(() -> started.get(3 * TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                .as("a certificate signed by an unknown CA is not accepted").isInstanceOf(TimeoutException.class);
        assertThat(broker.isConnected()).isFalse();
    }

    private static void openssl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(certs.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("openssl %s: %s", args[0], out).isZero();
    }
}
