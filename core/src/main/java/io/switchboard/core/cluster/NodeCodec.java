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
 * </pre>
 */
final class NodeCodec {
    /** Largest registry message accepted: a reply of 1001 rooms of 128 characters fits with room to spare. */
    static final int MAX_PAYLOAD_BYTES = 512 * 1024;
    /** Breakers one announcement may list. */
    static final int MAX_BREAKERS = 8;
    /** Longest free-text field (version, address, broker and breaker names). */
    static final int MAX_TEXT_CHARS = 256;

    private final ObjectMapper json = JsonMapper.builder().build();

    /** A message read and checked; {@code type} says which fields are set. */
    record Message(String type, NodeInfo node, String nodeId, long req, String after, String prefix, int limit,
                   List<RoomCount> rooms) {
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
            case "announce" -> new Message(type, node(m.path("node")), null, 0, null, null, 0, null);
            case "leave" -> new Message(type, null, nodeId(m.path("nodeId")), 0, null, null, 0, null);
            case "rooms" -> new Message(type, null, nodeId(m.path("from")), req(m), room(m.path("after"), true),
                    room(m.path("prefix"), true), limit(m.path("limit")), null);
            case "rooms_reply" -> new Message(type, null, nodeId(m.path("from")), req(m), null, null, 0,
                    rooms(m.path("rooms")));
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

    private static int limit(JsonNode v) {
        long n = count(v);
        if (n < 1 || n > NodeRegistry.MAX_ROOMS_PAGE + 1) {
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

    private byte[] bytes(ObjectNode m) {
        try {
            return json.writeValueAsBytes(m);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a registry message", e);
        }
    }
}
