package io.switchboard.nats;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Maps broker channels to NATS subjects and back: {@code prefix + "." + escape(channel)}, where the
 * escaped channel is a single subject token. Immutable; thread-safe.
 *
 * <p>Why escape: NATS splits subjects into tokens on {@code .}, treats {@code *} and {@code >} as
 * wildcards and forbids whitespace, while channels may contain {@code .} (room names do). Letters,
 * digits and {@code -} stand for themselves; every other UTF-8 byte, {@code _} included, becomes
 * {@code _XX} (two upper-case hex digits). Because {@code _} never stands for itself, decoding is
 * unambiguous and the mapping is injective: {@code a.b} is {@code a_2Eb}, {@code a_2Eb} is
 * {@code a_5F2Eb}. A channel grows to at most three times its length (600 characters for 200), well
 * inside NATS' 4 KiB control line.
 */
final class Subjects {
    /** The longest channel the {@link io.switchboard.core.broker.Broker} contract allows. */
    static final int MAX_CHANNEL_CHARS = 200;
    private static final char ESCAPE = '_';
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    /** The subject prefix with its trailing dot. */
    private final String prefix;

    Subjects(String subjectPrefix) {
        this.prefix = subjectPrefix + ".";
    }

    /**
     * The subject of a channel.
     *
     * @throws IllegalArgumentException for an empty channel or one longer than {@value #MAX_CHANNEL_CHARS}
     */
    String subject(String channel) {
        Objects.requireNonNull(channel, "channel");
        if (channel.isEmpty() || channel.length() > MAX_CHANNEL_CHARS) {
            throw new IllegalArgumentException(
                    "channel must have 1 to " + MAX_CHANNEL_CHARS + " characters, got " + channel.length());
        }
        return escape(new StringBuilder(prefix.length() + channel.length() * 3).append(prefix), channel).toString();
    }

    /** {@code text} as one subject token (also a valid KV key token and message id), by the escaping above. */
    static String token(String text) {
        return escape(new StringBuilder(text.length() * 3), text).toString();
    }

    private static StringBuilder escape(StringBuilder out, String text) {
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            if (isLiteral(b)) {
                out.append((char) b);
            } else {
                out.append(ESCAPE).append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
            }
        }
        return out;
    }

    /** The channel of a subject made by {@link #subject}, or null for a subject this mapping never makes. */
    String channel(String subject) {
        if (subject == null || !subject.startsWith(prefix) || subject.length() == prefix.length()) {
            return null;
        }
        byte[] bytes = new byte[subject.length() - prefix.length()];
        int n = 0;
        for (int i = prefix.length(); i < subject.length(); i++) {
            char c = subject.charAt(i);
            if (c == ESCAPE) {
                if (i + 2 >= subject.length()) {
                    return null;
                }
                int hi = hexValue(subject.charAt(i + 1));
                int lo = hexValue(subject.charAt(i + 2));
                if (hi < 0 || lo < 0 || isLiteral((byte) (hi << 4 | lo))) {
                    return null; // not canonical: subject() writes literals as themselves
                }
                bytes[n++] = (byte) (hi << 4 | lo);
                i += 2;
            } else if (c < 0x80 && isLiteral((byte) c)) {
                bytes[n++] = (byte) c;
            } else {
                return null;
            }
        }
        return new String(bytes, 0, n, StandardCharsets.UTF_8);
    }

    private static boolean isLiteral(byte b) {
        return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '-';
    }

    /** Value of an upper-case hex digit, -1 for anything else (the encoding writes upper case only). */
    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
