package io.switchboard.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/** Real child JVMs: one that listens until it is killed, one that ends before it listens. */
class JvmProcessTest {

    /** Listens on a free loopback port and accepts until killed; with an argument, ends at once, printing it. */
    static final class Child {
        public static void main(String[] args) throws IOException {
            if (args.length > 0) {
                System.out.println(args[0]);
                System.exit(3);
            }
            try (ServerSocket listener = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
                System.out.println("starting"); // output before the ready line is not taken for it
                JvmProcess.listening(listener.getLocalPort());
                while (true) {
                    listener.accept().close();
                }
            }
        }
    }

    @Test
    void theChildsPortIsKnownOnceItListensAndKillEndsIt() throws IOException {
        try (JvmProcess child = JvmProcess.start("listening child", Child.class)) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), child.port())) {
                assertThat(s.isConnected()).isTrue();
            }
            child.kill();
            assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), child.port()).close())
                    .as("nothing listens after the kill").isInstanceOf(IOException.class);
            child.kill(); // and again: a no-op
        }
    }

    @Test
    void aChildThatEndsBeforeItListensFailsTheStartWithItsOutput() {
        assertThatThrownBy(() -> JvmProcess.start("failing child", Child.class, "no configuration here"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("failing child ended before it listened:\nno configuration here\n");
    }
}
