package io.switchboard.server.websocket;

import io.netty.buffer.ByteBuf;

/**
 * Incremental UTF-8 validation of a text message, frame by frame (RFC 6455 section 8.1, RFC 3629 section 4):
 * no overlong forms, no surrogates (U+D800..U+DFFF), nothing past U+10FFFF. The state between frames is one
 * int, so the stage that calls this keeps it in a field instead of an object per connection. Stateless.
 */
final class Utf8Validation {
    /** Between characters: where a message must end. */
    static final int ACCEPT = 0;
    /** Not UTF-8; stays so. */
    static final int REJECT = -1;

    // Inside a character: how many continuation bytes (0x80..0xBF) are still due...
    private static final int NEED_1 = 1;
    private static final int NEED_2 = 2;
    private static final int NEED_3 = 3;
    // ...and the states whose next byte has a narrower range than 0x80..0xBF.
    /** After 0xE0: 0xA0..0xBF, else an overlong three-byte form. */
    private static final int AFTER_E0 = 4;
    /** After 0xED: 0x80..0x9F, else a surrogate. */
    private static final int AFTER_ED = 5;
    /** After 0xF0: 0x90..0xBF, else an overlong four-byte form. */
    private static final int AFTER_F0 = 6;
    /** After 0xF4: 0x80..0x8F, else past U+10FFFF. */
    private static final int AFTER_F4 = 7;

    private Utf8Validation() {
    }

    /** The state after the readable bytes of {@code buf}, starting from {@code state}. */
    static int scan(int state, ByteBuf buf) {
        int end = buf.writerIndex();
        for (int i = buf.readerIndex(); i < end && state != REJECT; i++) {
            byte b = buf.getByte(i);
            if (state == ACCEPT && b >= 0) {
                continue; // ASCII
            }
            state = next(state, b & 0xFF);
        }
        return state;
    }

    private static int next(int state, int b) {
        return switch (state) {
            case ACCEPT -> lead(b);
            case NEED_1, NEED_2, NEED_3 -> continuation(b, 0x80, 0xBF, state - 1);
            case AFTER_E0 -> continuation(b, 0xA0, 0xBF, NEED_1);
            case AFTER_ED -> continuation(b, 0x80, 0x9F, NEED_1);
            case AFTER_F0 -> continuation(b, 0x90, 0xBF, NEED_2);
            case AFTER_F4 -> continuation(b, 0x80, 0x8F, NEED_2);
            default -> REJECT;
        };
    }

    private static int lead(int b) {
        if (b >= 0xC2 && b <= 0xDF) {
            return NEED_1;
        }
        if (b == 0xE0) {
            return AFTER_E0;
        }
        if (b == 0xED) {
            return AFTER_ED;
        }
        if (b >= 0xE1 && b <= 0xEF) {
            return NEED_2;
        }
        if (b == 0xF0) {
            return AFTER_F0;
        }
        if (b >= 0xF1 && b <= 0xF3) {
            return NEED_3;
        }
        if (b == 0xF4) {
            return AFTER_F4;
        }
        return REJECT; // a continuation byte, 0xC0, 0xC1 (overlong) or 0xF5..0xFF
    }

    private static int continuation(int b, int low, int high, int then) {
        return b >= low && b <= high ? then : REJECT;
    }
}
