package io.switchboard.core.auth;

import java.util.List;

/**
 * Which rooms a pattern list allows: {@code *} allows every room, {@code chat:*} every room whose name
 * starts with {@code chat:}, any other entry exactly that room. Immutable and thread-safe.
 */
public final class RoomPatterns {
    /** Allows every room. */
    public static final RoomPatterns ANY = new RoomPatterns(List.of("*"));
    /** Allows no room. */
    public static final RoomPatterns NONE = new RoomPatterns(List.of());

    private final List<String> patterns;

    private RoomPatterns(List<String> patterns) {
        this.patterns = List.copyOf(patterns);
    }

    /**
     * Patterns as written in config or a token's claim.
     *
     * @throws IllegalArgumentException when one is not {@code *}, a room name, or a room-name prefix ending in {@code *}
     */
    public static RoomPatterns of(List<String> patterns) {
        for (String p : patterns) {
            if (!isValid(p)) {
                throw new IllegalArgumentException("room pattern must be *, a room name or a prefix ending in *");
            }
        }
        return new RoomPatterns(patterns);
    }

    static boolean isValid(String pattern) {
        return pattern != null && pattern.matches("\\*|[A-Za-z0-9_.:@/-]{1,128}\\*?");
    }

    public boolean allows(String room) {
        if (room == null) {
            return false;
        }
        for (String p : patterns) {
            if (p.endsWith("*") ? room.startsWith(p.substring(0, p.length() - 1)) : room.equals(p)) {
                return true;
            }
        }
        return false;
    }

    public List<String> patterns() {
        return patterns;
    }

    @Override
    public String toString() {
        return patterns.toString();
    }
}
