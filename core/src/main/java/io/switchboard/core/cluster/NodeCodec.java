package io.switchboard.core.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchboard.protocol.Names;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The registry's messages between nodes, as JSON, and their validation: everything read from another node
 * is bounded (payload size, string lengths, list sizes) and checked (ids and room names by the wire rules,
 * counters not negative) before it is used. Thread-safe.
 *
 * <pre>
 * {"t":"announce","node":{...NodeInfo...}}                       on the nodes channel
 * {"t":"leave","nodeId":"n1"}                                    on the nodes channel
 * {"t":"rooms","from":"n1","req":7,"after":"a"|null,"prefix":"a"|null,"limit":100} on the nodes channel
 * {"t":"rooms_reply","from":"n2","req":7,"rooms":[["a",3],...]}  on the asking node's reply channel
 * {"t":"conns","from":"n1","req":8,"user":"u"|null,"prefix":"u"|null,"limit":500}   on the nodes channel
 * {"t":"conns_reply","from":"n2","req":8,"total":3,"cut":false,
 *  "conns":[["connId","userId","address",connectedAt,sequence,roomCount,["room",...]],...]}
 *                                                                on the asking node's reply channel
 * </pre>
 *
 * <p>A connections reply is cut to fit {@link #MAX_PAYLOAD_BYTES}: entries are added, oldest first, while they fit,
 * and {@code cut} says that some were left out (see {@link ConnectionPages}).
 */
final class NodeCodec {
    /** Largest registry message accepted: a reply of 1001 rooms of 128 characters fits with room to spare. */
    static final int MAX_PAYLOAD_BYTES = 512 * 1024;
    /** Breakers one announcement may list. */
    static final int MAX_BREAKERS = 8;
    /** Longest free-text field (version, address, connection id, broker and breaker names). */
    static final int MAX_TEXT_CHARS = 256;
    /** Longest user-id prefix a connection listing filters by (the API's bound). */
    static final int MAX_PREFIX_CHARS = 64;
    /** Room for the fields of a connections reply around its list, within {@link #MAX_PAYLOAD_BYTES}. */
    private static final int REPLY_HEADER_BYTES = 1024;

    private final ObjectMapper json = JsonMapper.builder().build();

    /** A message read and checked; {@code type} says which fields are set. */
    record Message(String type, NodeInfo node, String nodeId, long req, String after, String prefix, int limit,
                   List<RoomCount> rooms, String user, ConnectionSlice conns) {
    }

    byte[] announce(NodeInfo n) {
        ObjectNode m = json.createObjectNode().put("t", "announce");
        ObjectNode o = m.putObject("node");
        o.put("nodeId", n.nodeId()).put("version", n.version()).put("address", n.address())
                .put("startedAt", n.startedAt()).put("timestamp", n.timestamp()).put("draining", n.draining())
                .put("connections", n.connections()).put("connectionsTotal", n.connectionsTotal())
                .put("rooms", n.rooms()).put("messagesReceived", n.messagesReceived())
                .put("messagesSent", n.messagesSent()).put("deliveriesDropped", n.deliveriesDropped())
                .put("messagesInPerSecond", n.messagesInPerSecond())
                .put("messagesOutPerSecond", n.messagesOutPerSecond());
        o.putObject("broker").put("name", n.broker().name()).put("connected", n.broker().connected());
        ArrayNode breakers = o.putArray("breakers");
        for (NodeInfo.Breaker b : n.breakers()) {
            breakers.addObject().put("name", b.name()).put("state", b.state()).put("pending", b.pending());
        }
        return bytes(m);
    }

    byte[] leave(String nodeId) {
        return bytes(json.createObjectNode().put("t", "leave").put("nodeId", nodeId));
    }

    byte[] roomsRequest(String from, long req, String after, String prefix, int limit) {
        return bytes(json.createObjectNode().put("t", "rooms").put("from", from).put("req", req).put("after", after)
                .put("prefix", prefix).put("limit", limit));
    }

    byte[] roomsReply(String from, long req, List<RoomCount> rooms) {
        ObjectNode m = json.createObjectNode().put("t", "rooms_reply").put("from", from).put("req", req);
        ArrayNode list = m.putArray("rooms");
        for (RoomCount r : rooms) {
            list.addArray().add(r.room()).add(r.members());
        }
        return bytes(m);
    }

    byte[] connectionsRequest(String from, long req, String user, String prefix, int limit) {
        return bytes(json.createObjectNode().put("t", "conns").put("from", from).put("req", req).put("user", user)
                .put("prefix", prefix).put("limit", limit));
    }

    /** A node's connections, oldest first, as many as fit in one message; {@code cut} set when some did not. */
    byte[] connectionsReply(String from, long req, ConnectionSlice slice) {
        ObjectNode m = json.createObjectNode().put("t", "conns_reply").put("from", from).put("req", req)
                .put("total", slice.total());
        ArrayNode list = json.createArrayNode();
        boolean cut = slice.cut();
        long size = 0;
        for (ConnectionInfo c : slice.connections()) {
            ArrayNode e = json.createArrayNode().add(c.connId()).add(c.userId()).add(c.address()).add(c.connectedAt())
                    .add(c.sequence()).add(c.roomCount());
            ArrayNode rooms = e.addArray();
            c.rooms().forEach(rooms::add);
            size += bytes(e).length + 1; // and its comma
            if (size > MAX_PAYLOAD_BYTES - REPLY_HEADER_BYTES) {
                cut = true;
                break;
            }
            list.add(e);
        }
        m.put("cut", cut).set("conns", list);
        return bytes(m);
    }

    /**
     * Reads one message from another node.
     *
     * @throws IllegalArgumentException when it is too large, not JSON, of an unknown type, or breaks a bound
     */
    Message read(byte[] payload) {
        if (payload.length > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("registry message of " + payload.length + " bytes");
        }
        JsonNode m;
        try {
            m = json.readTree(payload);
        } catch (IOException e) {
            throw new IllegalArgumentException("registry message is not JSON");
        }
        if (m == null || !m.isObject()) {
            throw new IllegalArgumentException("registry message is not an object");
        }
        String type = m.path("t").asText();
        return switch (type) {
            case "announce" -> new Message(type, node(m.path("node")), null, 0, null, null, 0, null, null, null);
            case "leave" -> new Message(type, null, nodeId(m.path("nodeId")), 0, null, null, 0, null, null, null);
            case "rooms" -> new Message(type, null, nodeId(m.path("from")), req(m), room(m.path("after"), true),
                    room(m.path("prefix"), true), limit(m.path("limit"), NodeRegistry.MAX_ROOMS_PAGE + 1), null,
                    null, null);
            case "rooms_reply" -> new Message(type, null, nodeId(m.path("from")), req(m), null, null, 0,
                    rooms(m.path("rooms")), null, null);
            case "conns" -> new Message(type, null, nodeId(m.path("from")), req(m), null, prefix(m.path("prefix")),
                    limit(m.path("limit"), NodeRegistry.MAX_CONNECTIONS_PAGE), null, user(m.path("user")), null);
            case "conns_reply" -> {
                String from = nodeId(m.path("from"));
                yield new Message(type, null, from, req(m), null, null, 0, null, null, connections(m, from));
            }
            default -> throw new IllegalArgumentException("unknown registry message type");
        };
    }

    private NodeInfo node(JsonNode o) {
        if (!o.isObject()) {
            throw new IllegalArgumentException("announce without a node");
        }
        JsonNode b = o.path("broker");
        JsonNode list = o.path("breakers");
        if (!b.isObject() || !list.isArray() || list.size() > MAX_BREAKERS) {
            throw new IllegalArgumentException("announce with a bad broker or breakers");
        }
        List<NodeInfo.Breaker> breakers = new ArrayList<>(list.size());
        for (JsonNode x : list) {
            breakers.add(new NodeInfo.Breaker(text(x.path("name")), text(x.path("state")),
                    (int) count(x.path("pending"))));
        }
        return new NodeInfo(nodeId(o.path("nodeId")), text(o.path("version")), text(o.path("address")),
                count(o.path("startedAt")), count(o.path("timestamp")), o.path("draining").asBoolean(),
                count(o.path("connections")), count(o.path("connectionsTotal")), count(o.path("rooms")),
                count(o.path("messagesReceived")), count(o.path("messagesSent")), count(o.path("deliveriesDropped")),
                rate(o.path("messagesInPerSecond")), rate(o.path("messagesOutPerSecond")),
                new NodeInfo.BrokerState(text(b.path("name")), b.path("connected").asBoolean()), breakers);
    }

    private static List<RoomCount> rooms(JsonNode list) {
        if (!list.isArray() || list.size() > NodeRegistry.MAX_ROOMS_PAGE + 1) {
            throw new IllegalArgumentException("rooms reply with a bad room list");
        }
        List<RoomCount> out = new ArrayList<>(list.size());
        for (JsonNode r : list) {
            long n = count(r.path(1));
            if (!r.isArray() || r.size() != 2 || n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("rooms reply with a bad room");
            }
            out.add(new RoomCount(room(r.path(0), false), (int) n));
        }
        return out;
    }

    /** The connections of a reply from node {@code from}: each is named with it (the reply names it once). */
    private static ConnectionSlice connections(JsonNode m, String from) {
        JsonNode list = m.path("conns");
        if (!list.isArray() || list.size() > NodeRegistry.MAX_CONNECTIONS_PAGE || !m.path("cut").isBoolean()) {
            throw new IllegalArgumentException("connections reply with a bad connection list");
        }
        List<ConnectionInfo> out = new ArrayList<>(list.size());
        for (JsonNode c : list) {
            JsonNode rooms = c.path(6);
            if (!c.isArray() || c.size() != 7 || !rooms.isArray() || rooms.size() > NodeRegistry.MAX_ROOMS_LISTED) {
                throw new IllegalArgumentException("connections reply with a bad connection");
            }
            List<String> names = new ArrayList<>(rooms.size());
            for (JsonNode r : rooms) {
                names.add(room(r, false));
            }
            long roomCount = count(c.path(5));
            if (roomCount < names.size() || roomCount > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("connections reply with a bad room count");
            }
            out.add(new ConnectionInfo(text(c.path(0)), nodeId(c.path(1)), from, text(c.path(2)), names,
                    (int) roomCount, count(c.path(3)), count(c.path(4))));
        }
        return new ConnectionSlice(out, count(m.path("total")), m.path("cut").asBoolean());
    }

    private static String user(JsonNode v) {
        return v.isNull() || v.isMissingNode() ? null : nodeId(v);
    }

    private static String prefix(JsonNode v) {
        if (v.isNull() || v.isMissingNode()) {
            return null;
        }
        if (!v.isTextual() || v.asText().isEmpty() || v.asText().length() > MAX_PREFIX_CHARS) {
            throw new IllegalArgumentException("bad prefix");
        }
        return v.asText();
    }

    static String nodeId(JsonNode v) {
        if (!v.isTextual() || !Names.isValidUserId(v.asText())) {
            throw new IllegalArgumentException("bad node id");
        }
        return v.asText();
    }

    private static String room(JsonNode v, boolean nullable) {
        if (nullable && (v.isNull() || v.isMissingNode())) {
            return null;
        }
        if (!v.isTextual() || !Names.isValidRoom(v.asText())) {
            throw new IllegalArgumentException("bad room name");
        }
        return v.asText();
    }

    private static String text(JsonNode v) {
        if (!v.isTextual() || v.asText().length() > MAX_TEXT_CHARS) {
            throw new IllegalArgumentException("bad text field");
        }
        return v.asText();
    }

    private static long count(JsonNode v) {
        if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < 0) {
            throw new IllegalArgumentException("bad counter");
        }
        return v.asLong();
    }

    private static long req(JsonNode m) {
        return count(m.path("req"));
    }

    private static int limit(JsonNode v, int max) {
        long n = count(v);
        if (n < 1 || n > max) {
            throw new IllegalArgumentException("bad limit");
        }
        return (int) n;
    }

    private static double rate(JsonNode v) {
        if (!v.isNumber() || !Double.isFinite(v.asDouble()) || v.asDouble() < 0) {
            throw new IllegalArgumentException("bad rate");
        }
        return v.asDouble();
    }

    private byte[] bytes(JsonNode m) {
        try {
            return json.writeValueAsBytes(m);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a registry message", e);
        }
    }
}
