package io.switchboard.server.proxy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.FullHttpRequest;
import io.switchboard.core.HubException;
import io.switchboard.core.auth.Grants;
import io.switchboard.core.auth.RoomPatterns;
import io.switchboard.protocol.ErrorCode;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.Names;
import io.switchboard.server.config.Proxy;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The connect proxy ({@code proxy.connect}): before an upgrade completes, the backend gets the remote address,
 * the forwarded headers ({@code proxy.headers}: a web app's session cookie) and the token if any, and answers
 * who the user is and which rooms it may read and publish to. Its grants replace a JWT's. Thread-safe.
 */
public final class ConnectProxy {
    /** What the backend decided: grants, or the refusal's status and text. */
    public record Verdict(Grants grants, int status, String reason) {
    }

    private static final TypeReference<Map<String, Object>> INFO = new TypeReference<>() { };

    private final BackendCall call;
    private final List<String> headers;
    private final JsonCodec codec;

    public ConnectProxy(Proxy config, HttpClient http, JsonCodec codec) {
        this.call = HttpClientProxy.call("connect proxy", config.connect(), config, http, codec);
        this.headers = config.headers();
        this.codec = codec;
    }

    /** Builds the request from the upgrade at once (the caller may release it after), then asks the backend. */
    public CompletionStage<Verdict> decide(FullHttpRequest req, String remoteAddr, String token) {
        ObjectNode body = codec.mapper().createObjectNode().put("remoteAddr", remoteAddr);
        ObjectNode forwarded = body.putObject("headers");
        for (String name : headers) {
            String value = req.headers().get(name);
            if (value != null) {
                forwarded.put(name, value);
            }
        }
        if (token != null) {
            body.put("token", token);
        }
        return call.post(body).handle((answer, e) -> {
            if (e != null) {
                HubException h = e.getCause() instanceof HubException c ? c : null;
                if (h != null && h.code() != ErrorCode.UNAVAILABLE) {
                    return new Verdict(null, 403, h.getMessage());
                }
                return new Verdict(null, 503, "connect proxy is unavailable, retry later");
            }
            return grants(answer);
        });
    }

    private Verdict grants(JsonNode answer) {
        String userId = answer.path("userId").asText(null);
        if (!Names.isValidUserId(userId)) {
            return new Verdict(null, 503, "connect proxy answered without a valid userId");
        }
        try {
            RoomPatterns rooms = RoomPatterns.of(texts(answer.get("rooms")));
            RoomPatterns publish = RoomPatterns.of(texts(answer.get("publish")));
            Map<String, Object> info = new LinkedHashMap<>();
            JsonNode infoNode = answer.get("info");
            if (infoNode != null && infoNode.isObject()) {
                info = codec.mapper().convertValue(infoNode, INFO);
            }
            // The same rights as a token's claims: broadcast only when granted, private messages unless refused
            // (to whom is security.privateMessages, checked by the command handler).
            boolean broadcast = answer.path("broadcast").asBoolean(false);
            boolean privateMessages = answer.path("private").asBoolean(!publish.patterns().isEmpty());
            return new Verdict(new Grants(userId, rooms, publish, info, Grants.NEVER, broadcast, privateMessages),
                    200, null);
        } catch (IllegalArgumentException e) {
            return new Verdict(null, 503, "connect proxy answered invalid grants: " + e.getMessage());
        }
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array != null && array.isArray()) {
            array.forEach(n -> out.add(n.asText()));
        }
        return out;
    }
}
