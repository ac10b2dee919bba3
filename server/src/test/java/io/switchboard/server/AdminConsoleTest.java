package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchboard.core.config.ConfigException;
import io.switchboard.server.config.Admin;
import io.switchboard.server.config.Monitoring;
import io.switchboard.server.config.SwitchboardConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The admin console's files, where they are served, and the admin password, over real HTTP. */
class AdminConsoleTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final String PASSWORD = "admin-password-0123456789";
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private SwitchboardServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private SwitchboardServer start(Admin admin, Monitoring monitoring) {
        SwitchboardConfig base = TestServers.config();
        server = SwitchboardServer.start(base.toBuilder().admin(admin).monitoring(monitoring).build());
        return server;
    }

    private static HttpResponse<String> get(int port, String path, String bearer) throws Exception {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).GET();
        if (bearer != null) {
            req.header("Authorization", "Bearer " + bearer);
        }
        return HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theConsoleIsOffByDefault() throws Exception {
        start(Admin.defaults(), Monitoring.defaults());
        assertThat(SwitchboardConfig.defaults().admin().enabled()).isFalse();
        assertThat(get(server.port(), "/admin", null).statusCode()).isEqualTo(404);
        assertThat(get(server.port(), "/admin/admin.js", null).statusCode()).isEqualTo(404);
    }

    @Test
    void thePageAndItsFilesComeWithTheirTypesAndSecurityHeaders() throws Exception {
        start(Admin.builder().enabled(true).build(), Monitoring.defaults());
        String[][] files = {{"/admin", "text/html; charset=utf-8"}, {"/admin/", "text/html; charset=utf-8"},
            {"/admin/admin.js", "text/javascript; charset=utf-8"}, {"/admin/admin-api.js", "text/javascript; charset=utf-8"},
            {"/admin/admin-chart.js", "text/javascript; charset=utf-8"}, {"/admin/admin.css", "text/css; charset=utf-8"}};
        for (String[] file : files) {
            HttpResponse<String> res = get(server.port(), file[0], null);
            assertThat(res.statusCode()).as(file[0]).isEqualTo(200);
            assertThat(res.headers().firstValue("Content-Type")).as(file[0]).hasValue(file[1]);
            assertThat(res.headers().firstValue("Content-Security-Policy")).as(file[0]).hasValue(CSP);
            assertThat(res.headers().firstValue("X-Frame-Options")).hasValue("DENY");
            assertThat(res.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
            assertThat(res.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
            assertThat(res.headers().firstValue("Cache-Control")).hasValue("no-store");
        }
        String page = get(server.port(), "/admin", null).body();
        assertThat(page).contains("<script type=\"module\" src=\"/admin/admin.js\"></script>")
                .doesNotContainPattern("<script(?![^>]*\\bsrc=)[^>]*>") // no inline script: the CSP would block it
                .doesNotContain("http://").doesNotContain("https://"); // no CDN
        assertThat(get(server.port(), "/admin/nothing.js", null).statusCode()).isEqualTo(404);
        assertThat(get(server.port(), "/admin/..%2Fapp.js", null).statusCode()).isEqualTo(404);
        assertThat(get(server.port(), "/admin/index.html", null).statusCode()).isEqualTo(404);
    }

    @Test
    void theApiAcceptsTheAdminPasswordAndStillRefusesOtherKeys() throws Exception {
        start(Admin.builder().enabled(true).password(PASSWORD).build(), Monitoring.defaults());
        assertThat(get(server.port(), "/api/rooms", PASSWORD).statusCode()).isEqualTo(200);
        assertThat(get(server.port(), "/api/rooms", TestServers.API_KEY).statusCode()).isEqualTo(200);
        HttpResponse<String> wrong = get(server.port(), "/api/rooms", PASSWORD + "x");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.body()).isEqualTo("{\"error\":\"unauthorized\",\"message\":\"missing or invalid API key\"}");
    }

    @Test
    void thePasswordOpensNothingWhileTheConsoleIsOff() throws Exception {
        start(Admin.builder().enabled(false).password(PASSWORD).build(), Monitoring.defaults());
        assertThat(get(server.port(), "/api/rooms", PASSWORD).statusCode()).isEqualTo(401);
    }

    @Test
    void withAMonitoringPortTheConsoleAndItsApiAreServedThereOnly() throws Exception {
        int free;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            free = s.getLocalPort();
        }
        start(Admin.builder().enabled(true).build(), Monitoring.builder().port(free).build());
        int monitoring = server.monitoringPort();
        assertThat(monitoring).isEqualTo(free);
        assertThat(get(monitoring, "/admin", null).statusCode()).isEqualTo(200);
        assertThat(get(monitoring, "/admin/admin.js", null).statusCode()).isEqualTo(200);
        assertThat(get(monitoring, "/api/nodes", TestServers.API_KEY).statusCode()).isEqualTo(200);
        assertThat(get(monitoring, "/api/nodes", "wrong-key-0123456789").statusCode()).isEqualTo(401);
        assertThat(get(server.port(), "/admin", null).statusCode()).isEqualTo(404);
        // The main port keeps its API for backends.
        assertThat(get(server.port(), "/api/nodes", TestServers.API_KEY).statusCode()).isEqualTo(200);
    }

    @Test
    void withoutTheConsoleTheMonitoringPortServesNoApi() throws Exception {
        int free;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            free = s.getLocalPort();
        }
        start(Admin.defaults(), Monitoring.builder().port(free).build());
        assertThat(get(server.monitoringPort(), "/api/nodes", TestServers.API_KEY).statusCode()).isEqualTo(404);
        assertThat(get(server.monitoringPort(), "/admin", null).statusCode()).isEqualTo(404);
    }

    @Test
    void aShortPasswordIsRefusedWithoutShowingIt() {
        assertThatThrownBy(() -> Admin.builder().password("short-secret").build())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("admin.password").hasMessageContaining("at least 16 characters")
                .hasMessageNotContaining("short-secret");
        assertThat(Admin.builder().password(PASSWORD).build().toString()).doesNotContain(PASSWORD);
    }
}
