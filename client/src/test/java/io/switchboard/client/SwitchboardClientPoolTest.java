package io.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.server.SwitchboardServer;
import io.switchboard.testkit.Await;
import io.switchboard.testkit.LeakDetection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LeakDetection.class)
class SwitchboardClientPoolTest {
    private SwitchboardServer a;
    private SwitchboardServer b;
    private SwitchboardClientPool pool;

    @BeforeEach
    void start() {
        a = SwitchboardServer.start(RealServerTest.config(0));
        b = SwitchboardServer.start(RealServerTest.config(0));
    }

    @AfterEach
    void stop() {
        if (pool != null) {
            pool.close();
        }
        a.close();
        b.close();
    }

    private static URI url(SwitchboardServer s, String user) {
        return URI.create("ws://127.0.0.1:" + s.port() + "/ws?id=" + user);
    }

    @Test
    void spreadsConnectionsOverTheUrlsAndHandsThemOutRoundRobin() throws Exception {
        ClientConfig template = ClientConfig.builder(url(a, "pool")).random(new Random(5)).build();
        pool = SwitchboardClientPool.create(template, List.of(url(a, "pool"), url(b, "pool")), 4, null);
        pool.connect().get(10, TimeUnit.SECONDS);
        Set<Integer> ports = new HashSet<>();
        for (SwitchboardClient c : pool.clients()) {
            assertThat(c.state()).isEqualTo(ConnectionState.CONNECTED);
            ports.add(c.welcome() == null ? -1 : portOf(c));
        }
        assertThat(ports).containsExactlyInAnyOrder(a.port(), b.port());
        Set<SwitchboardClient> handedOut = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            handedOut.add(pool.next());
        }
        assertThat(handedOut).hasSize(4);
    }

    @Test
    void replacesAClientThatWasDisconnectedForGood() throws Exception {
        ClientConfig template = ClientConfig.builder(url(a, "pool")).backoff(Duration.ofMillis(50), Duration.ofMillis(200))
                .random(new Random(5)).build();
        pool = SwitchboardClientPool.create(template, List.of(url(a, "kicked"), url(b, "kept")), 2, null);
        pool.connect().get(10, TimeUnit.SECONDS);
        SwitchboardClient kicked = pool.clients().get(0);
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + a.port() + "/api/disconnect"))
                .header("Authorization", "Bearer " + RealServerTest.API_KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"userId\":\"kicked\",\"code\":4003}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        Await.until("the pool replaces the kicked client with a connected one", Duration.ofSeconds(10),
                () -> pool.clients().get(0) != kicked && pool.clients().get(0).state() == ConnectionState.CONNECTED);
        assertThat(kicked.state()).isEqualTo(ConnectionState.CLOSED);
        assertThat(pool.clients().get(0)).isNotSameAs(kicked);
        assertThat(pool.clients().get(0).state()).isEqualTo(ConnectionState.CONNECTED);
    }

    /** Which server a client reached: the pool's clients carry their URL in toString. */
    private static int portOf(SwitchboardClient c) {
        String s = c.toString();
        int start = s.indexOf("127.0.0.1:") + "127.0.0.1:".length();
        int end = start;
        while (end < s.length() && Character.isDigit(s.charAt(end))) {
            end++;
        }
        return Integer.parseInt(s.substring(start, end));
    }
}
