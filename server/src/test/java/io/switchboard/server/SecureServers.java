package io.switchboard.server;

import io.switchboard.core.config.Security;
import io.switchboard.core.config.WebSocket;
import io.switchboard.server.config.SwitchboardConfig;
import java.time.Duration;

/** A server for the attack tests: the security section a test shapes, over the tests' WebSocket settings. */
final class SecureServers {
    static final String SECRET = "test-secret-0123456789-abcdefghijklmnop";

    /**
     * The security section under test: the defaults, except that tokens get no clock skew and handshakes no
     * per-address rate, so that only the limit a test sets can refuse it.
     */
    final Security.Builder security = Security.builder().jwtClockSkew(Duration.ZERO).maxHandshakesPerIpPerSecond(0);
    WebSocket websocket = TestServers.websocket();

    static SecureServers hs256() {
        SecureServers s = new SecureServers();
        s.security.requireAuth(true).jwtSecret(SECRET);
        return s;
    }

    Security security() {
        return security.build();
    }

    SwitchboardConfig config() {
        SwitchboardConfig c = TestServers.with(websocket);
        return c.toBuilder().security(security()).build();
    }

    SwitchboardServer start() {
        return SwitchboardServer.start(config());
    }
}
