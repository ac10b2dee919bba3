package io.switchboard.client;

import io.switchboard.client.internal.NettySwitchboardClient;

/**
 * Where {@link SwitchboardClient}s come from. The factory lives apart from the interface so that
 * the contract never names its implementation: {@code internal} depends on the API, never the
 * other way round.
 *
 * <p>Thread-safe.
 */
public final class SwitchboardClients {
    private SwitchboardClients() {
    }

    /** Creates a client; nothing happens on the network until {@link SwitchboardClient#connect()}. */
    public static SwitchboardClient create(ClientConfig config, ClientListener listener) {
        return new NettySwitchboardClient(config, listener);
    }
}
