package io.switchboard.nats;

import io.switchboard.core.presence.PresenceStore;
import io.switchboard.core.presence.PresenceStoreContract;
import io.switchboard.testkit.NatsServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

class NatsKvPresenceStoreContractTest extends PresenceStoreContract {
    private static NatsServerProcess nats;
    private final List<PresenceStore> stores = new ArrayList<>();

    @BeforeAll
    static void startNats() throws Exception {
        NatsServerProcess.requireBinary();
        Path storage = Files.createTempDirectory("kv-presence");
        nats = NatsServerProcess.startedWith("-js", "-sd", storage.toString());
    }

    @AfterAll
    static void stopNats() {
        if (nats != null) {
            nats.close();
        }
    }

    /** A new connection per call: two calls are two nodes sharing one bucket. */
    @Override
    protected PresenceStore store() {
        PresenceStore store = new NatsKvPresenceStore(
                NatsSettings.builder().servers(List.of(nats.url())).build(), Duration.ofSeconds(5),
                Duration.ofMinutes(1));
        stores.add(store);
        return store;
    }

    /** The NATS KV store decides occupancy per node (see {@code NatsKvPresenceStore#join}). */
    @Override
    protected PresenceStore secondNode(PresenceStore first) {
        return first;
    }

    @AfterEach
    void closeStores() {
        stores.forEach(PresenceStore::close);
    }
}
