package io.switchboard.core.history;

import io.switchboard.core.TimeSource;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

class MemoryHistoryStoreContractTest extends HistoryStoreContract {
    /** One store per configuration, so that two "nodes" of a test share it as they would share Redis. */
    private final Map<String, HistoryStore> stores = new HashMap<>();

    @Override
    protected HistoryStore store(int size, Duration ttl) {
        return stores.computeIfAbsent(size + "/" + ttl, k -> new MemoryHistoryStore(size, ttl, TimeSource.SYSTEM));
    }

    @Override
    protected HistoryStore store(Retention.Lookup retention) {
        return new MemoryHistoryStore(retention, TimeSource.SYSTEM);
    }
}
