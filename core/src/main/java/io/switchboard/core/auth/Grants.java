package io.switchboard.core.auth;

import java.util.Map;
import java.util.Objects;

/**
 * What one connection may do, fixed at the handshake and replaced by a token {@code refresh}: its user
 * id, the rooms it may join and read ({@code join_room}, {@code history}, {@code presence}), the rooms
 * it may publish to, its presence metadata, when its credential expires, and whether it may reach
 * every connection ({@code broadcast}) or single users ({@code private_message}). Immutable and
 * thread-safe.
 *
 * @param userId the connection's user id (the token's {@code sub} when authentication is on)
 * @param rooms rooms the connection may join and read
 * @param publish rooms the connection may publish to (it must have joined them too)
 * @param info the token's {@code info} claim, kept as presence metadata; empty without one
 * @param expiresAtMillis when the credential expires, epoch millis; {@link Long#MAX_VALUE} without a token
 * @param broadcast may send {@code broadcast}
 * @param privateMessages may send {@code private_message}
 */
public record Grants(String userId, RoomPatterns rooms, RoomPatterns publish, Map<String, Object> info,
                     long expiresAtMillis, boolean broadcast, boolean privateMessages) {
    /** Never expires: a connection admitted without a token. */
    public static final long NEVER = Long.MAX_VALUE;

    public Grants {
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(rooms, "rooms");
        Objects.requireNonNull(publish, "publish");
        // JSON null values are allowed in the claim, so no Map.copyOf. Without a claim (most connections)
        // the shared empty map, not an empty copy per connection.
        info = info.isEmpty() ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(info));
    }

    /**
     * A connection without a token: the static room policy for reading and publishing, never expiring;
     * broadcast and private messages as configured, the latter only with a room to publish to.
     */
    public static Grants withoutToken(String userId, RoomPatterns policy, boolean broadcast, boolean privateMessages) {
        return new Grants(userId, policy, policy, Map.of(), NEVER, broadcast,
                privateMessages && !policy.patterns().isEmpty());
    }

    /** The hub's own default before the transport sets real grants: every room, no broadcast. */
    public static Grants withoutToken(String userId, RoomPatterns policy) {
        return withoutToken(userId, policy, false, true);
    }

    public boolean mayRead(String room) {
        return rooms.allows(room);
    }

    public boolean mayPublish(String room) {
        return publish.allows(room);
    }

    public boolean expires() {
        return expiresAtMillis != NEVER;
    }
}
