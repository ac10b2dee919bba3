package io.switchboard.core.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The backend's say over what clients do (the SPI of the subscribe, publish and RPC proxies): before a join,
 * before a client's room message, and for each {@code rpc} command, the command handler asks it and waits for
 * the answer without holding a thread.
 *
 * <p>Contract: every method returns at once, on the calling thread (an event loop), and never throws; the
 * stage completes on any thread. A refusal completes it exceptionally with a
 * {@link io.switchboard.core.HubException} carrying the code the client gets; a backend that is slow, down or
 * failing completes it with an {@code unavailable} one within the proxy's deadline. Implementations are
 * thread-safe and bound the calls in flight.
 */
public interface ClientProxy {
    /** Asks nothing: every call is off. */
    ClientProxy NONE = new ClientProxy() {
        @Override
        public boolean proxies(Call call) {
            return false;
        }

        @Override
        public CompletionStage<Void> subscribe(String connId, String userId, String room) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Publication> publish(String connId, String userId, String room, String content,
                                                    JsonNode data) {
            return CompletableFuture.completedFuture(new Publication(content, data));
        }

        @Override
        public CompletionStage<JsonNode> rpc(String connId, String userId, String method, JsonNode data) {
            return CompletableFuture.failedFuture(new IllegalStateException("no rpc proxy"));
        }
    };

    /** The calls a proxy can make. */
    enum Call { SUBSCRIBE, PUBLISH, RPC }

    /** What a room message publishes: the client's payload, or the backend's replacement. */
    record Publication(String content, JsonNode data) {
    }

    /** Whether this call goes to the backend; a command whose call is off runs as if there were no proxy. */
    boolean proxies(Call call);

    /** Completes normally when the backend allows the join. */
    CompletionStage<Void> subscribe(String connId, String userId, String room);

    /** Completes with what to publish when the backend allows the message. */
    CompletionStage<Publication> publish(String connId, String userId, String room, String content, JsonNode data);

    /** Completes with the backend's answer ({@code data}, possibly null) to an {@code rpc} command. */
    CompletionStage<JsonNode> rpc(String connId, String userId, String method, JsonNode data);
}
