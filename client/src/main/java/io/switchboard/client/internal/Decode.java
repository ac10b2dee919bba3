package io.switchboard.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.client.DirectMessage;
import io.switchboard.client.History;
import io.switchboard.client.Member;
import io.switchboard.client.Presence;
import io.switchboard.client.RoomJoined;
import io.switchboard.client.RoomMessage;
import io.switchboard.client.Welcome;
import java.util.ArrayList;
import java.util.List;

/** Server messages (PROTOCOL.md sections 1 to 4) from JSON trees to the client's records. Stateless. */
final class Decode {
    private Decode() {
    }

    static Welcome welcome(JsonNode m) {
        JsonNode s = m.path("server");
        return new Welcome(text(m, "connId"), text(m, "userId"), text(s, "version"), text(s, "node"),
                s.path("pingIntervalMs").asLong(0), s.path("maxMessageBytes").asLong(0));
    }

    static RoomMessage roomMessage(JsonNode m) {
        return new RoomMessage(text(m, "room"), text(m, "from"), text(m, "connId"), text(m, "content"), data(m),
                m.path("offset").asLong(-1), m.path("ts").asLong(0));
    }

    static DirectMessage direct(JsonNode m, boolean broadcast) {
        return new DirectMessage(broadcast, text(m, "from"), text(m, "connId"), text(m, "content"), data(m),
                m.path("ts").asLong(0));
    }

    static RoomJoined roomJoined(JsonNode m) {
        JsonNode recovered = m.get("recovered");
        return new RoomJoined(text(m, "room"), members(m), m.path("offset").asLong(0), text(m, "epoch"),
                recovered == null || recovered.isNull() ? null : recovered.asBoolean());
    }

    static Presence presence(JsonNode m) {
        List<Member> members = members(m);
        return new Presence(text(m, "room"), members, m.path("count").asInt(members.size()), text(m, "cursor"));
    }

    static History history(JsonNode m) {
        List<RoomMessage> messages = new ArrayList<>();
        for (JsonNode n : m.path("messages")) {
            messages.add(roomMessage(n));
        }
        return new History(text(m, "room"), text(m, "epoch"), messages);
    }

    private static List<Member> members(JsonNode m) {
        List<Member> members = new ArrayList<>();
        for (JsonNode n : m.path("members")) {
            members.add(new Member(text(n, "userId"), text(n, "connId")));
        }
        return members;
    }

    private static String text(JsonNode m, String field) {
        JsonNode v = m.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static JsonNode data(JsonNode m) {
        JsonNode v = m.get("data");
        return v == null || v.isNull() ? null : v;
    }
}
