package io.switchboard.server.observability;

import java.util.concurrent.CompletableFuture;

/**
 * A named check of {@code GET /health}: completes normally when healthy, exceptionally (its message is
 * shown) when not. It runs on the request's event loop and must not block; the endpoint fails it after
 * a timeout. Implementations are thread-safe.
 */
@FunctionalInterface
public interface HealthCheck {
    CompletableFuture<Void> run();
}
