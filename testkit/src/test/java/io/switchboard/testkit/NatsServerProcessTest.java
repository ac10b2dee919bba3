package io.switchboard.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** A real nats-server: skipped without the binary (failed on CI). */
class NatsServerProcessTest {
    @AfterAll
    static void noServerOutlivesItsTest() {
        assertThat(NatsServerProcess.running()).isZero();
    }

    /** The INFO line a NATS server greets every connection with. */
    private static String greeting(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            s.setSoTimeout(2000);
            InputStream in = s.getInputStream();
            byte[] start = in.readNBytes(4);
            return new String(start, StandardCharsets.US_ASCII);
        }
    }

    @Test
    void startsOnAFreePortAndRestartsOnTheSamePort() throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.started()) {
            assertThat(nats.port()).isNotEqualTo(4222);
            assertThat(nats.url()).isEqualTo("nats://127.0.0.1:" + nats.port());
            assertThat(greeting(nats.port())).isEqualTo("INFO");
            assertThat(NatsServerProcess.running()).isEqualTo(1);
            long firstPid = nats.pid();

            nats.kill9();
            assertThat(NatsServerProcess.running()).isZero();
            assertThatThrownBy(() -> greeting(nats.port())).isInstanceOf(IOException.class);

            nats.restart();
            assertThat(nats.pid()).isNotEqualTo(firstPid);
            assertThat(greeting(nats.port())).isEqualTo("INFO");
            assertThatThrownBy(nats::start).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void aStoppedServerAcceptsButDoesNotGreetUntilContinued() throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.started()) {
            nats.stop();
            assertThatThrownBy(() -> greeting(nats.port())).isInstanceOf(IOException.class);
            nats.cont();
            assertThat(greeting(nats.port())).isEqualTo("INFO");
        }
    }

    @Test
    void aServerNotStartedHasAPortAndNoProcess() {
        try (NatsServerProcess nats = NatsServerProcess.notStarted()) {
            assertThat(nats.port()).isPositive();
            assertThatThrownBy(nats::stop).isInstanceOf(IllegalStateException.class);
        }
    }
}
