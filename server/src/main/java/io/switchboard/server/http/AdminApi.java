package io.switchboard.server.http;

import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.switchboard.core.HubException;
import io.switchboard.core.cluster.ConnectionInfo;
import io.switchboard.core.cluster.NodeInfo;
import io.switchboard.core.cluster.NodeRegistry;
import io.switchboard.core.hub.Hub;
import io.switchboard.protocol.Names;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The read-only views the admin console needs beyond the room and message calls: the cluster's nodes
 * ({@code GET /api/nodes}, from the node registry), the cluster's connections by user ({@code GET /api/connections},
 * by asking the nodes through the registry)
 * and the effective configuration ({@code GET /api/config}); a room's history is the API's {@code GET /api/history}.
 * Part of the backend API: {@link ApiHandler} checks the key and routes here. Thread-safe; only reads thread-safe
 * hub state and the registry.
 */
public final class AdminApi {
    /** Connections one answer lists at most: a page, not the whole cluster. */
    static final int MAX_CONNECTIONS = NodeRegistry.MAX_CONNECTIONS_PAGE;

    private final Hub hub;
    private final NodeRegistry registry;
    /** Computed once: the configuration does not change while the node runs. */
    private final Map<String, Map<String, String>> config;

    /**
     * @param registry the cluster's nodes, this one included
     * @param config the effective configuration, secrets already masked
     */
    public AdminApi(Hub hub, NodeRegistry registry, Map<String, Map<String, String>> config) {
        this.hub = hub;
        this.registry = registry;
        this.config = config;
    }

    /** These endpoints, each answering GET. */
    static final List<String> PATHS = List.of("/api/nodes", "/api/connections", "/api/config");

    /** Whether {@code path} is one of these endpoints. */
    static boolean routes(String path) {
        return switch (path) {
            case "/api/nodes", "/api/connections", "/api/config" -> true;
            default -> false;
        };
    }

    /** Answers a GET of one of {@link #routes these paths}: a value, or a stage for a remote store's answer. */
    Object get(FullHttpRequest req, String path) throws HubException {
        return switch (path) {
            case "/api/nodes" -> nodes();
            case "/api/connections" -> connections(req);
            default -> config();
        };
    }

    /**
     * Every live node of the cluster as the node registry lists it (this one marked {@code self}), sorted by id.
     * Other nodes' values are those of their last announcement ({@code timestamp}).
     */
    CompletionStage<Map<String, Object>> nodes() {
        return registry.nodes().thenApply(all -> {
            List<Map<String, Object>> out = new ArrayList<>(all.size());
            for (NodeInfo n : all) {
                out.add(node(n));
            }
            return Map.of("nodes", out);
        });
    }

    private Map<String, Object> node(NodeInfo n) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("nodeId", n.nodeId());
        node.put("self", n.nodeId().equals(hub.nodeId()));
        node.put("version", n.version());
        node.put("address", n.address());
        node.put("startedAt", n.startedAt());
        node.put("uptimeMs", n.uptimeMs());
        node.put("timestamp", n.timestamp());
        node.put("draining", n.draining());
        node.put("connections", n.connections());
        node.put("connectionsTotal", n.connectionsTotal());
        node.put("rooms", n.rooms());
        node.put("messagesReceived", n.messagesReceived());
        node.put("messagesSent", n.messagesSent());
        node.put("deliveriesDropped", n.deliveriesDropped());
        node.put("messagesInPerSecond", n.messagesInPerSecond());
        node.put("messagesOutPerSecond", n.messagesOutPerSecond());
        node.put("messagesPerSecond", Math.round((n.messagesInPerSecond() + n.messagesOutPerSecond()) * 10) / 10.0);
        Map<String, Object> broker = new LinkedHashMap<>();
        broker.put("name", n.broker().name());
        broker.put("connected", n.broker().connected());
        node.put("broker", broker);
        List<Map<String, Object>> breakers = new ArrayList<>();
        for (NodeInfo.Breaker b : n.breakers()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", b.name());
            m.put("state", b.state());
            m.put("pending", b.pending());
            breakers.add(m);
        }
        node.put("breakers", breakers);
        return node;
    }

    /**
     * The cluster's connections, oldest first: of one user ({@code ?user=}), or of every user whose id starts
     * with {@code ?prefix=}, or all; at most {@code ?limit=} (default and cap {@value #MAX_CONNECTIONS}). The node
     * registry asks every live node for its own (see {@code BrokerNodeRegistry}); {@code missing} names the nodes
     * that did not answer in time, whose connections are neither listed nor counted.
     */
    CompletionStage<Map<String, Object>> connections(FullHttpRequest req) {
        QueryStringDecoder query = new QueryStringDecoder(req.uri());
        String user = param(query, "user");
        String prefix = param(query, "prefix");
        if (user != null && !Names.isValidUserId(user)) {
            throw new IllegalArgumentException("user must match [A-Za-z0-9_.:@-]{1,64}");
        }
        if (prefix != null && prefix.length() > 64) {
            throw new IllegalArgumentException("prefix must have at most 64 characters");
        }
        int limit = intParam(query, "limit", MAX_CONNECTIONS, MAX_CONNECTIONS);
        return registry.connections(user, prefix, limit).thenApply(AdminApi::connectionPage);
    }

    private static Map<String, Object> connectionPage(NodeRegistry.ConnectionPage page) {
        List<Map<String, Object>> list = new ArrayList<>(page.connections().size());
        for (ConnectionInfo c : page.connections()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("connId", c.connId());
            m.put("userId", c.userId());
            m.put("node", c.nodeId());
            m.put("address", c.address());
            m.put("rooms", c.rooms());
            m.put("roomCount", c.roomCount());
            m.put("connectedAt", c.connectedAt());
            list.add(m);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("connections", list);
        body.put("total", page.total());
        body.put("missing", page.missing());
        return body;
    }

    /** The effective configuration, secrets masked. */
    Map<String, Object> config() {
        return Map.of("config", config);
    }

    private static String param(QueryStringDecoder query, String name) {
        List<String> values = query.parameters().get(name);
        return values == null || values.isEmpty() || values.get(0).isEmpty() ? null : values.get(0);
    }

    private static int intParam(QueryStringDecoder query, String name, int defaultValue, int max) {
        String text = param(query, name);
        if (text == null) {
            return defaultValue;
        }
        try {
            int value = Integer.parseInt(text);
            if (value >= 1 && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // the message below says what is accepted
        }
        throw new IllegalArgumentException(name + " must be an integer from 1 to " + max);
    }
}
