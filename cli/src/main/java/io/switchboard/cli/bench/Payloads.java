package io.switchboard.cli.bench;

import io.switchboard.protocol.Command;

/**
 * The shape of what the bench sends: {@code data.t} first, the sender's intended send time
 * ({@link System#nanoTime()}), so that a receiver finds it without parsing the rest, then {@code data.p},
 * padding to the asked size. Shared by the client-based scenarios and the lean connections, which must
 * send the same bytes for their results to compare.
 */
final class Payloads {
    /** Upper bound of a 19-digit nanoTime in the payload template: padding is sized against it. */
    static final String T_PLACEHOLDER = "1234567890123456789";

    private Payloads() {
    }

    /** Padding that makes {@code template} about {@code sizeBytes} long. */
    static String padding(int sizeBytes, String template) {
        int n = Math.max(0, sizeBytes - template.length());
        return "x".repeat(n);
    }

    /** An {@code echo} command carrying {@code t} (a send time) first in {@code data}, then {@code pad}. */
    static String echoCommand(long t, String pad) {
        return "{\"type\":\"" + Command.Echo.TYPE + "\",\"data\":{\"t\":" + t + ",\"p\":\"" + pad + "\"}}";
    }

    /** Padding that makes {@link #echoCommand} about {@code sizeBytes} long. */
    static String echoPadding(int sizeBytes) {
        return padding(sizeBytes, echoCommand(Long.parseLong(T_PLACEHOLDER), ""));
    }
}
