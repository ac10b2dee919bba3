package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.core.TimeSource;
import io.switchboard.server.http.ApiKeyThrottle;
import io.switchboard.testkit.RawPeer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** API keys cannot be guessed at full speed: failures are throttled per address, counted and logged. */
class ApiKeyThrottleTest {
    private static final int GUESSES = 300;

    private SwitchboardServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static byte[] rooms(String key, int count) {
        return ("GET /api/rooms HTTP/1.1\r\nHost: localhost\r\nX-API-Key: " + key + "\r\n\r\n").repeat(count)
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** Guessing keys on one keep-alive connection, as fast as the server answers (357,778 in 10 s before). */
    @Test
    void wrongKeysFromOneAddressAreAnswered429WithoutTheKeyBeingChecked() {
        server = SwitchboardServer.start(TestServers.config());
        int port = server.port();
        List<RawPeer.Response> answers = new ArrayList<>();
        try (RawPeer attacker = RawPeer.open("127.0.0.1", port)) {
            for (int batch = 0; batch < GUESSES / 50; batch++) {
                attacker.write(rooms("guess-" + batch, 50));
                for (int i = 0; i < 50; i++) {
                    answers.add(attacker.readResponse());
                }
            }
            assertThat(answers.subList(0, ApiKeyThrottle.MAX_FAILURES)).allSatisfy(r ->
                    assertThat(r.status()).isEqualTo(401));
            assertThat(answers.subList(ApiKeyThrottle.MAX_FAILURES, GUESSES)).allSatisfy(r -> {
                assertThat(r.status()).isEqualTo(429);
                assertThat(Long.parseLong(r.headers().get("retry-after")))
                        .isBetween(1L, ApiKeyThrottle.WINDOW_SECONDS);
                assertThat(r.body()).contains("\"error\":\"rate_limited\"");
            });
            attacker.write(rooms(TestServers.API_KEY, 1)); // the right key is not even checked now
            assertThat(attacker.readResponse().status()).isEqualTo(429);
        }
        try (RawPeer other = RawPeer.open("127.0.0.2", port)) {
            other.write(rooms(TestServers.API_KEY, 1));
            assertThat(other.readResponse().status()).isEqualTo(200);
        }
        Scrape s = Scrape.of(port, "/metrics");
        assertThat(s.value("api_requests_refused_total", "reason", "invalid_key"))
                .isEqualTo(ApiKeyThrottle.MAX_FAILURES);
        assertThat(s.value("api_requests_refused_total", "reason", "throttled"))
                .isEqualTo(GUESSES - ApiKeyThrottle.MAX_FAILURES + 1);
    }
}
