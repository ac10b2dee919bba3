package io.switchboard.server.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.core.proxy.ClientProxy;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.server.config.Proxy;
import java.net.http.HttpClient;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The subscribe, publish and RPC proxies over HTTP ({@code proxy.subscribe}, {@code proxy.publish},
 * {@code proxy.rpc}): each configured URL is one {@link BackendCall} with its own guard. Thread-safe.
 */
public final class HttpClientProxy implements ClientProxy {
    private final JsonCodec codec;
    /** Null when its URL is empty. */
    private final BackendCall subscribe;
    private final BackendCall publish;
    private final BackendCall rpc;

    public HttpClientProxy(Proxy config, HttpClient http, JsonCodec codec) {
        this.codec = codec;
        this.subscribe = call("subscribe proxy", config.subscribe(), config, http, codec);
        this.publish = call("publish proxy", config.publish(), config, http, codec);
        this.rpc = call("rpc proxy", config.rpc(), config, http, codec);
    }

    static BackendCall call(String name, String url, Proxy config, HttpClient http, JsonCodec codec) {
        return url.isEmpty() ? null : new BackendCall(name, url, config.timeout(), config.maxPending(), http, codec);
    }

    /** True when any of the three URLs is set. */
    public boolean enabled() {
        return subscribe != null || publish != null || rpc != null;
    }

    @Override
    public boolean proxies(Call call) {
        return switch (call) {
            case SUBSCRIBE -> subscribe != null;
            case PUBLISH -> publish != null;
            case RPC -> rpc != null;
        };
    }

    @Override
    public CompletionStage<Void> subscribe(String connId, String userId, String room) {
        ObjectNode body = codec.mapper().createObjectNode().put("connId", connId).put("userId", userId)
                .put("room", room);
        return subscribe.post(body).thenApply(answer -> null);
    }

    @Override
    public CompletionStage<Publication> publish(String connId, String userId, String room, String content,
                                                JsonNode data) {
        ObjectNode body = codec.mapper().createObjectNode().put("connId", connId).put("userId", userId)
                .put("room", room).put("content", content);
        body.set("data", data);
        return publish.post(body).thenApply(answer -> new Publication(
                answer.has("content") ? textOrNull(answer.get("content")) : content,
                answer.has("data") ? nullIfJsonNull(answer.get("data")) : data));
    }

    @Override
    public CompletionStage<JsonNode> rpc(String connId, String userId, String method, JsonNode data) {
        ObjectNode body = codec.mapper().createObjectNode().put("connId", connId).put("userId", userId)
                .put("method", method);
        body.set("data", data);
        if (rpc == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("proxy.rpc is not set"));
        }
        return rpc.post(body).thenApply(answer -> nullIfJsonNull(answer.get("data")));
    }

    private static String textOrNull(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }

    private static JsonNode nullIfJsonNull(JsonNode node) {
        return node == null || node.isNull() ? null : node;
    }
}
