package io.switchboard.core.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Per-namespace room options. A room's namespace is the part of its name before the first {@code :}
 * ({@code dash:btc} is in {@code dash}); rooms without {@code :}, and rooms of a namespace not configured,
 * use the defaults. An option left out takes its default; an option set to its default is an error, so that
 * a namespace lists only what makes it different. Names match {@value #NAME}.
 *
 * @param historySize messages kept per room; 0 keeps none, and a join with {@code since} answers
 *     {@code recovered: false} with a reason
 * @param historyTtl messages older than this are dropped
 * @param presence what members learn about each other: {@code full} (member lists), {@code counts} (counts
 *     only, never member lists) or {@code off} (neither; the {@code presence} command answers
 *     {@code presence_disabled})
 * @param joinLeave send {@code user_joined_room} and {@code user_left_room} to the members
 * @param clientPublish whether members may publish; false leaves publishing to the backend API and answers a
 *     client's {@code room_message} with {@code forbidden}
 * @param maxMembers members per room on one node; joins beyond it answer {@code room_full}
 * @param delivery {@code all} delivers every message; {@code latest}: a member whose writes are backed up gets
 *     only the room's newest message once it catches up (older undelivered ones are replaced, never queued and
 *     never a reason for 4008), and a joiner gets the newest message right after {@code room_joined}
 */
public record Namespace(Integer historySize, Duration historyTtl, String presence, Boolean joinLeave,
                        Boolean clientPublish, Integer maxMembers, String delivery) {
    /** What a namespace name may be: it appears in keys, YAML and environment variable names. */
    public static final String NAME = "[a-z][a-z0-9_]{0,63}";
    public static final List<String> PRESENCE = List.of("full", "counts", "off");
    public static final List<String> DELIVERY = List.of("all", "latest");

    /** Each option's default as the docs show it: a value, or the key whose value it takes. */
    public static final Map<String, String> DEFAULTS = Map.of("historySize", "history.size",
            "historyTtl", "history.ttl", "presence", "full", "joinLeave", "true", "clientPublish", "true",
            "maxMembers", "hub.maxRoomMembers", "delivery", "all");

    /** A namespace that sets nothing. */
    public static final Namespace NONE = new Namespace(null, null, null, null, null, null, null);

    /**
     * Checks each namespace's name and options, and that none repeats its default.
     *
     * @throws ConfigException naming {@code namespaces.<name>.<option>}, the value and the rule
     */
    public static void check(Map<String, Namespace> namespaces, History history, Hub hub) {
        namespaces.forEach((name, ns) -> {
            if (!name.matches(NAME)) {
                throw new ConfigException("namespaces." + name, name, "a namespace name must match " + NAME);
            }
            ns.check("namespaces." + name + ".", history, hub);
        });
    }

    private void check(String prefix, History history, Hub hub) {
        if (historySize != null) {
            Check.range(prefix + "historySize", historySize, 0, 1_000_000);
            notDefault(prefix + "historySize", historySize, history.size(), "history.size");
        }
        if (historyTtl != null) {
            Check.positive(prefix + "historyTtl", historyTtl);
            notDefault(prefix + "historyTtl", historyTtl, history.ttl(), "history.ttl");
        }
        if (presence != null) {
            Check.oneOf(prefix + "presence", presence, PRESENCE);
            notDefault(prefix + "presence", presence, "full", "");
        }
        if (joinLeave != null) {
            notDefault(prefix + "joinLeave", joinLeave, true, "");
        }
        if (clientPublish != null) {
            notDefault(prefix + "clientPublish", clientPublish, true, "");
        }
        if (maxMembers != null) {
            Check.range(prefix + "maxMembers", maxMembers, 1, 10_000_000);
            notDefault(prefix + "maxMembers", maxMembers, hub.maxRoomMembers(), "hub.maxRoomMembers");
        }
        if (delivery != null) {
            Check.oneOf(prefix + "delivery", delivery, DELIVERY);
            notDefault(prefix + "delivery", delivery, "all", "");
        }
    }

    private static void notDefault(String key, Object value, Object defaultValue, String defaultKey) {
        if (value.equals(defaultValue)) {
            String shown = value instanceof Duration d ? Check.format(d) : String.valueOf(value);
            throw new ConfigException(key, shown, "repeats the default"
                    + (defaultKey.isEmpty() ? "" : " (" + defaultKey + ")") + "; leave it out");
        }
    }
}
