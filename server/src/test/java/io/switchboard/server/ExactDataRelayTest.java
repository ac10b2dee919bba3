package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client's {@code data} is relayed as sent: numbers a double cannot hold (or would write differently)
 * reach the other members, and the history, byte for byte. Reads the frames' raw text, not a parsed tree.
 */
class ExactDataRelayTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String DATA = "{\"huge\":1e999999,\"exp\":1E2,\"fine\":0.1000000000000000000001,"
            + "\"big\":12345678901234567890123,\"list\":[-0,1.0e-5,-2.50E+3,7]}";

    private SwitchboardServer server;

    @BeforeEach
    void start() {
        server = SwitchboardServer.start(TestServers.config());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** The raw text of every text message, in order. */
    private static final class RawText implements WebSocket.Listener {
        final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
        private StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                frames.add(text.toString());
                text = new StringBuilder();
            }
            ws.request(1);
            return null;
        }

        String next(String type) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (System.nanoTime() < deadline) {
                String frame = frames.poll(100, TimeUnit.MILLISECONDS);
                if (frame != null && frame.startsWith("{\"type\":\"" + type + "\"")) {
                    return frame;
                }
            }
            throw new AssertionError("no " + type + " within 5 s");
        }
    }

    private WebSocket connect(String user, RawText listener) {
        return HTTP.newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/ws?id=" + user), listener).join();
    }

    @Test
    void numbersInDataArriveExactlyAsSent() throws Exception {
        RawText alice = new RawText();
        RawText bob = new RawText();
        WebSocket a = connect("alice", alice);
        WebSocket b = connect("bob", bob);
        try {
            a.sendText("{\"type\":\"join_room\",\"room\":\"r\"}", true).join();
            alice.next("room_joined");
            b.sendText("{\"type\":\"join_room\",\"room\":\"r\"}", true).join();
            bob.next("room_joined");

            a.sendText("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"n\",\"data\":" + DATA + "}", true)
                    .join();
            assertThat(bob.next("room_message")).contains("\"data\":" + DATA);

            b.sendText("{\"type\":\"history\",\"room\":\"r\"}", true).join();
            assertThat(bob.next("history")).contains("\"data\":" + DATA);

            a.sendText("{\"type\":\"echo\",\"data\":" + DATA + "}", true).join();
            assertThat(alice.next("echo")).contains("\"data\":" + DATA);
        } finally {
            a.abort();
            b.abort();
        }
    }
}
