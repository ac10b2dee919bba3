package io.switchboard.nats;

import io.nats.client.Nats;
import io.nats.client.Options;
import java.time.Duration;

/** The jnats options every connection of this module shares: servers, deadline, keep-alive, auth, no reconnect. */
final class NatsOptions {
    /**
     * jnats would hold this many bytes of publishes while reconnecting. It never reconnects here, but zero
     * keeps "nothing is buffered while disconnected" true on its own. (Negative would mean unbounded.)
     */
    private static final long RECONNECT_BUFFER_BYTES = 0;

    private NatsOptions() {
    }

    /**
     * A builder with the settings applied; jnats is told not to reconnect (the caller replaces closed
     * connections: see {@link NatsBroker}) and to discard rather than block when its outgoing queue is full.
     */
    static Options.Builder builder(NatsSettings s, Duration timeout) {
        Options.Builder b = new Options.Builder()
                .servers(s.servers().toArray(String[]::new))
                .connectionName("switchboard")
                .connectionTimeout(timeout)
                .pingInterval(s.keepAliveInterval())
                .noReconnect()
                .reconnectBufferSize(RECONNECT_BUFFER_BYTES)
                .maxMessagesInOutgoingQueue(s.maxPendingMessages())
                .discardMessagesWhenOutgoingQueueFull();
        if (!s.token().isEmpty()) {
            b.token(s.token().toCharArray());
        }
        if (!s.user().isEmpty()) {
            b.userInfo(s.user().toCharArray(), s.password().toCharArray());
        }
        if (!s.credsFile().isEmpty()) {
            b.authHandler(Nats.credentials(s.credsFile()));
        }
        return b;
    }
}
