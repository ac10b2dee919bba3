package io.switchboard.protocol;

import java.util.regex.Pattern;

/** Syntax rules for names on the wire (PROTOCOL.md sections 1 to 3). */
public final class Names {
    /** Room names: {@code [A-Za-z0-9_.:@/-]{1,128}}. */
    public static final int MAX_ROOM_LENGTH = 128;
    /** User ids: {@code [A-Za-z0-9_.:@-]{1,64}}. */
    public static final int MAX_USER_ID_LENGTH = 64;
    /** Command ids: a string or number of at most 64 characters. */
    public static final int MAX_COMMAND_ID_LENGTH = 64;

    /** The rule of an {@code rpc} command's method name, as its error quotes it. */
    public static final String RPC_METHOD_RULE = "[A-Za-z0-9_.:/-]{1,128}";
    private static final Pattern RPC_METHOD = Pattern.compile(RPC_METHOD_RULE);

    private Names() {
    }

    /** Longest {@code idempotencyKey} of a publish. */
    public static final int MAX_IDEMPOTENCY_KEY_LENGTH = 64;

    /** An idempotency key: any non-empty text of at most {@value #MAX_IDEMPOTENCY_KEY_LENGTH} characters. */
    public static boolean isValidIdempotencyKey(String key) {
        return key != null && !key.isEmpty() && key.length() <= MAX_IDEMPOTENCY_KEY_LENGTH;
    }

    public static boolean isValidRoom(String room) {
        return room != null && !room.isEmpty() && room.length() <= MAX_ROOM_LENGTH && allOf(room, true);
    }

    public static boolean isValidRpcMethod(String method) {
        return method != null && method.length() <= 128 && RPC_METHOD.matcher(method).matches();
    }

    public static boolean isValidUserId(String userId) {
        return userId != null && !userId.isEmpty() && userId.length() <= MAX_USER_ID_LENGTH && allOf(userId, false);
    }

    /**
     * Whether every character is in {@code [A-Za-z0-9_.:@-]}, or also {@code /} when {@code slash}. A loop rather
     * than the patterns above: every publish and join checks its room, and a matcher costs an allocation and a
     * regex walk each time.
     */
    private static boolean allOf(String name, boolean slash) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '.' || c == ':' || c == '@' || c == '-' || (slash && c == '/');
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
