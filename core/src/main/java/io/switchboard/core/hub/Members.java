package io.switchboard.core.hub;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ServerMessage.Member;
import java.util.Comparator;
import java.util.Map;

/** How member lists are built: their order, and each member's presence metadata. Stateless. */
final class Members {
    /** Member lists are sorted by user id, then connection id. */
    static final Comparator<Member> ORDER = Comparator.comparing(Member::userId).thenComparing(Member::connId);

    private Members() {
    }

    /** The presence metadata of a connection (its token's {@code info}), or null when it has none. */
    static JsonNode info(JsonCodec codec, Connection c) {
        Map<String, Object> info = c.grants().info();
        return info.isEmpty() ? null : codec.mapper().valueToTree(info);
    }
}
