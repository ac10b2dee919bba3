package io.switchboard.core.policy;

import io.switchboard.core.config.CoreConfig;
import io.switchboard.core.config.Namespace;
import io.switchboard.core.history.Retention;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Each room's {@link RoomPolicy}, from its namespace: the part of its name before the first {@code :}
 * ({@code dash:btc} → {@code dash}). Rooms without {@code :}, and those of a namespace not configured, get
 * the defaults. Every policy is resolved once, here, at start; a lookup is a substring and a map read.
 * Immutable and thread-safe.
 */
public final class RoomPolicies implements Retention.Lookup {
    private final RoomPolicy defaults;
    private final Map<String, RoomPolicy> byNamespace;

    public RoomPolicies(CoreConfig config) {
        this.defaults = new RoomPolicy(null, config.history().size(), config.history().ttl(),
                RoomPolicy.Presence.FULL, true, true, config.hub().maxRoomMembers(), false);
        Map<String, RoomPolicy> resolved = new HashMap<>();
        config.namespaces().forEach((name, ns) -> resolved.put(name, resolve(name, ns)));
        this.byNamespace = Map.copyOf(resolved);
    }

    private RoomPolicy resolve(String name, Namespace ns) {
        return new RoomPolicy(name,
                ns.historySize() != null ? ns.historySize() : defaults.historySize(),
                ns.historyTtl() != null ? ns.historyTtl() : defaults.historyTtl(),
                ns.presence() != null ? RoomPolicy.Presence.valueOf(ns.presence().toUpperCase(Locale.ROOT))
                        : defaults.presence(),
                ns.joinLeave() != null ? ns.joinLeave() : defaults.joinLeave(),
                ns.clientPublish() != null ? ns.clientPublish() : defaults.clientPublish(),
                ns.maxMembers() != null ? ns.maxMembers() : defaults.maxMembers(),
                "latest".equals(ns.delivery()));
    }

    /** The policy of a room. */
    public RoomPolicy of(String room) {
        int colon = room.indexOf(':');
        if (colon < 0 || byNamespace.isEmpty()) {
            return defaults;
        }
        return byNamespace.getOrDefault(room.substring(0, colon), defaults);
    }

    /**
     * The most any room keeps: the largest size and the longest ttl of the defaults and every namespace. A store
     * with limits of its own (a JetStream stream) sets them to this and applies each room's retention on reading.
     */
    public Retention widest() {
        int size = defaults.historySize();
        java.time.Duration ttl = defaults.historyTtl();
        for (RoomPolicy p : byNamespace.values()) {
            size = Math.max(size, p.historySize());
            ttl = p.historyTtl().compareTo(ttl) > 0 ? p.historyTtl() : ttl;
        }
        return new Retention(size, ttl);
    }

    @Override
    public Retention retention(String room) {
        RoomPolicy p = of(room);
        return new Retention(p.historySize(), p.historyTtl());
    }
}
