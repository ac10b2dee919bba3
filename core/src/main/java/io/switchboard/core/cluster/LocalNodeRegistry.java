package io.switchboard.core.cluster;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The registry of a node alone (no cluster broker): the node itself is the whole cluster, and no node ever
 * leaves. Thread-safe; every call but {@link #connections} (which reads each connection's rooms on
 * its own thread) completes before it returns.
 */
public final class LocalNodeRegistry implements NodeRegistry {
    private volatile LocalNode self;

    @Override
    public CompletionStage<Void> start(LocalNode self) {
        this.self = Objects.requireNonNull(self, "self");
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<List<NodeInfo>> nodes() {
        LocalNode s = self;
        return CompletableFuture.completedFuture(s == null ? List.of() : List.of(s.describe()));
    }

    @Override
    public CompletionStage<RoomPage> rooms(String after, String prefix, int limit) {
        LocalNode s = self;
        if (s == null) {
            return CompletableFuture.completedFuture(new RoomPage(List.of(), false, List.of()));
        }
        return CompletableFuture.completedFuture(RoomPages.merge(List.of(s.rooms(after, prefix, limit + 1)), limit,
                List.of()));
    }

    @Override
    public CompletionStage<ConnectionPage> connections(String user, String prefix, int limit) {
        if (limit < 1 || limit > MAX_CONNECTIONS_PAGE) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "limit must be 1 to " + MAX_CONNECTIONS_PAGE));
        }
        LocalNode s = self;
        if (s == null) {
            return CompletableFuture.completedFuture(new ConnectionPage(List.of(), 0, List.of()));
        }
        return s.connections(user, prefix, limit)
                .thenApply(own -> ConnectionPages.merge(List.of(own), limit, List.of()));
    }

    @Override
    public void addListener(Listener listener) {
        // nobody ever leaves a single-node cluster
    }

    @Override
    public Duration ttl() {
        return Duration.ofDays(365);
    }

    @Override
    public void close() {
        self = null;
    }
}
