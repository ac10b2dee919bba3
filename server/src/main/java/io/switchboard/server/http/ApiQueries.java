package io.switchboard.server.http;

import static io.switchboard.server.http.ApiError.badField;
import static io.switchboard.server.http.ApiError.fromHub;

import io.switchboard.core.HubException;
import io.switchboard.core.cluster.NodeRegistry;
import io.switchboard.core.cluster.RoomCount;
import io.switchboard.core.cluster.RoomPages;
import io.switchboard.core.config.Check;
import io.switchboard.core.command.PresenceCursor;
import io.switchboard.core.history.HistoryStore;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.hub.RoomSummary;
import io.switchboard.core.policy.RoomPolicy;
import io.switchboard.protocol.Names;
import io.switchboard.protocol.ServerMessage.Member;
import io.switchboard.protocol.ServerMessage.RoomMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reading endpoints of the backend API ({@code GET /api/history}, {@code /api/presence}, {@code /api/rooms},
 * {@code /api/rooms/{room}}): query parameters in, a result or a stage of one out. Thread-safe.
 *
 * <p>Paging: a page carries {@code cursor}, null on the last page; passing it back returns the next page.
 * Cursors are opaque to callers.
 */
final class ApiQueries {
    static final int DEFAULT_PAGE = 100;
    static final int MAX_PAGE = 1000;

    private final Hub hub;
    /** The cluster's rooms; null: this node's alone. */
    private final NodeRegistry registry;

    ApiQueries(Hub hub, NodeRegistry registry) {
        this.hub = hub;
        this.registry = registry;
    }

    /** The query parameters of a request, first value of each. */
    record Params(Map<String, List<String>> values) {
        String get(String name) {
            List<String> v = values.get(name);
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        String room() throws ApiError {
            String room = get("room");
            if (room == null || !Names.isValidRoom(room)) {
                throw badField("room must match [A-Za-z0-9_.:@/-]{1,128}");
            }
            return room;
        }

        Long nonNegativeLong(String name) throws ApiError {
            String v = get(name);
            if (v == null) {
                return null;
            }
            try {
                long n = Long.parseLong(v);
                if (n >= 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // the message below
            }
            throw badField(name + " must be a whole number of at least 0");
        }

        int limit(int byDefault, int max) throws ApiError {
            String v = get("limit");
            if (v == null) {
                return byDefault;
            }
            try {
                int n = Integer.parseInt(v);
                if (n >= 1 && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // the message below
            }
            throw badField("limit must be a whole number from 1 to " + max);
        }

        boolean flag(String name) throws ApiError {
            String v = get(name);
            if (v == null || v.equals("false")) {
                return false;
            }
            if (v.equals("true")) {
                return true;
            }
            throw badField(name + " must be true or false");
        }
    }

    /**
     * A page of a room's history: {@code since} the offset to read after (else the latest), {@code limit} at most
     * {@code history.size}; {@code reverse=true}: the newest of those first. The {@code history} command's answer.
     */
    Object history(Params q) throws ApiError {
        String room = q.room();
        Long since = q.nonNegativeLong("since");
        // The room's own retention: its namespace may keep more or fewer messages than history.size.
        int cap = Math.max(1, hub.policy(room).historySize());
        int limit = q.limit(cap, cap);
        boolean reverse = q.flag("reverse");
        try {
            // Newest first after an offset: read all after it (history is bounded) and keep the newest.
            return hub.history(room, since, reverse && since != null ? cap : limit).thenApply(page -> {
                List<RoomMessage> messages = page.messages();
                if (reverse) {
                    List<RoomMessage> newest = new ArrayList<>(
                            messages.subList(Math.max(0, messages.size() - limit), messages.size()));
                    Collections.reverse(newest);
                    messages = newest;
                }
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("room", room);
                out.put("epoch", page.epoch());
                out.put("messages", messages);
                return out;
            });
        } catch (HubException e) {
            throw fromHub(e);
        }
    }

    /**
     * A page of a room's members in the cluster, in member order (user, then connection), with the total
     * {@code count}; read page by page from presence, as the {@code presence} command does, with its cursor.
     */
    Object presence(Params q) throws ApiError {
        String room = q.room();
        int limit = q.limit(DEFAULT_PAGE, MAX_PAGE);
        try {
            String after = PresenceCursor.decode(q.get("cursor"));
            return hub.membersPage(room, after, limit).thenApply(page -> {
                List<Member> members = page.members();
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("room", room);
                out.put("members", members);
                out.put("count", page.count());
                out.put("cursor", page.more() && !members.isEmpty()
                        ? PresenceCursor.after(members.get(members.size() - 1)) : null);
                return out;
            });
        } catch (HubException e) {
            throw fromHub(e);
        }
    }

    /**
     * A page of the rooms with members anywhere in the cluster (whose name starts with {@code prefix}, when given),
     * by name, each with its members summed over the
     * nodes; {@code missing} names the nodes that did not answer in time (their members are not counted). The
     * node registry asks every live node for its own page (see {@code BrokerNodeRegistry}); without a registry,
     * this node's rooms alone.
     */
    Object rooms(Params q) throws ApiError {
        int limit = q.limit(MAX_PAGE, MAX_PAGE);
        String after = decodeCursor(q.get("cursor"));
        String prefix = q.get("prefix");
        if (prefix != null && !prefix.isEmpty() && !Names.isValidRoom(prefix)) {
            throw badField("prefix must match [A-Za-z0-9_.:@/-]{1,128}");
        }
        prefix = prefix == null || prefix.isEmpty() ? null : prefix;
        if (registry == null) {
            List<RoomCount> local = new ArrayList<>();
            for (RoomSummary r : hub.rooms()) {
                local.add(new RoomCount(r.room(), r.members()));
            }
            return roomPage(RoomPages.merge(List.of(RoomPages.slice(local, after, prefix, limit + 1)), limit, List.of()));
        }
        return registry.rooms(after, prefix, limit).thenApply(ApiQueries::roomPage);
    }

    private static Map<String, Object> roomPage(NodeRegistry.RoomPage page) {
        List<RoomCount> rooms = page.rooms();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("rooms", rooms);
        out.put("cursor", page.more() && !rooms.isEmpty() ? encodeCursor(rooms.get(rooms.size() - 1).room()) : null);
        out.put("missing", page.missing());
        return out;
    }

    /** One room: members in the cluster, offset and epoch, and the options of its namespace. */
    Object room(String room) throws ApiError {
        if (!Names.isValidRoom(room)) {
            throw badField("room must match [A-Za-z0-9_.:@/-]{1,128}");
        }
        try {
            RoomPolicy policy = hub.policy(room);
            return hub.roomInfo(room).thenApply(info -> {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("room", info.room());
                out.put("members", info.members());
                out.put("offset", info.offset());
                out.put("epoch", info.epoch());
                out.put("policy", policyOf(policy));
                return out;
            });
        } catch (HubException e) {
            throw fromHub(e);
        }
    }

    /** A room's namespace options as the API shows them: the names and values of {@code namespaces.<name>.*}. */
    private static Map<String, Object> policyOf(RoomPolicy p) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("namespace", p.namespace());
        out.put("historySize", p.historySize());
        out.put("historyTtl", Check.format(p.historyTtl()));
        out.put("presence", p.presence().name().toLowerCase(java.util.Locale.ROOT));
        out.put("joinLeave", p.joinLeave());
        out.put("clientPublish", p.clientPublish());
        out.put("maxMembers", p.maxMembers());
        out.put("delivery", p.latestOnly() ? "latest" : "all");
        return out;
    }

    private static String encodeCursor(String key) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    private static String decodeCursor(String cursor) throws ApiError {
        if (cursor == null) {
            return null;
        }
        try {
            String key = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            if (Names.isValidRoom(key)) {
                return key;
            }
        } catch (IllegalArgumentException e) {
            // the message below
        }
        throw badField("cursor must be one a previous page returned");
    }
}
