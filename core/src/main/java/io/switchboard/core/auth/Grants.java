package io.switchboard.core.auth;

import java.util.Map;
import java.util.Objects;

/**
 * What one connection may do, fixed at the handshake and replaced by a token {@code refresh}: its user
 * id, the rooms it may join and read ({@code join_room}, {@code history}, {@code presence}), the rooms
 * it may publish to, its presence metadata and when its credential expires. Immutable and thread-safe.
 *
 * @param userId the connection's user id (the token's {@code sub} when authentication is on)
 * @param rooms rooms the connection may join and read
 * @param publish rooms the connection may publish to (it must have joined them too)
 * @param info the token's {@code info} claim, kept as presence metadata; empty without one
 * @param expiresAtMillis when the credential expires, epoch millis; {@link Long#MAX_VALUE} without a token
 */
public record Grants(String userId, RoomPatterns rooms, RoomPatterns publish, Map<String, Object> info,
                     long expiresAtMillis) {
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

    /** A connection without a token: the static room policy for reading and publishing, never expiring. */
    public static Grants withoutToken(String userId, RoomPatterns policy) {
        return new Grants(userId, policy, policy, Map.of(), NEVER);
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
