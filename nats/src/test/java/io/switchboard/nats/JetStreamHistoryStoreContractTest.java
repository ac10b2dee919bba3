package io.switchboard.nats;

import io.switchboard.core.history.HistoryStore;
import io.switchboard.core.history.HistoryStoreContract;
import io.switchboard.core.history.Retention;
import io.switchboard.testkit.NatsServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

class JetStreamHistoryStoreContractTest extends HistoryStoreContract {
    private static NatsServerProcess nats;
    private final List<HistoryStore> stores = new ArrayList<>();
    /** A stream per test: each test asks for its own limits, and two stores of one test share one stream. */
    private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeAll
    static void startNats() throws Exception {
        NatsServerProcess.requireBinary();
        Path storage = Files.createTempDirectory("jetstream-history");
        nats = NatsServerProcess.startedWith("-js", "-sd", storage.toString());
    }

    @AfterAll
    static void stopNats() {
        if (nats != null) {
            nats.close();
        }
    }

    /** A new connection per call: two calls are two nodes sharing one stream. */
    @Override
    protected HistoryStore store(int size, Duration ttl) {
        return keep(new JetStreamHistoryStore(settings(), Duration.ofSeconds(5), Retention.Lookup.fixed(size, ttl),
                Math.max(1, size), ttl, ttl.compareTo(Duration.ofMinutes(2)) < 0 ? ttl : Duration.ofMinutes(2)));
    }

    @Override
    protected HistoryStore store(Retention.Lookup retention) {
        return keep(new JetStreamHistoryStore(settings(), Duration.ofSeconds(5), retention, 100,
                Duration.ofMinutes(5), Duration.ofMinutes(2)));
    }

    private NatsSettings settings() {
        return NatsSettings.builder().servers(List.of(nats.url())).subjectPrefix(prefix).build();
    }

    private HistoryStore keep(HistoryStore store) {
        stores.add(store);
        return store;
    }

    @AfterEach
    void closeStores() {
        stores.forEach(HistoryStore::close);
    }
}
