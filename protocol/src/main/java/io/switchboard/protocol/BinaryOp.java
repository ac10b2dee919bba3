package io.switchboard.protocol;

/** First byte of a binary frame (PROTOCOL.md section 7). Any other value closes with 1003. */
public final class BinaryOp {
    /** {@code 0x01} + 3-byte big-endian length + payload: answered with {@link #ECHO_REPLY}. */
    public static final byte ECHO = 0x01;
    /** The echo answer, and the control request: {@code 0x02} + 3-byte length + bytes. */
    public static final byte ECHO_REPLY = 0x02;
    /** {@code 0x02} + 3-byte length + control bytes: answered with the single byte {@link #CONTROL_ACK}. */
    public static final byte CONTROL = 0x02;
    /** The answer to a control request. */
    public static final byte CONTROL_ACK = 0x00;
    /** {@code 0x10} + 1-byte room-name length + room name (UTF-8) + payload: relayed unchanged to the room. */
    public static final byte ROOM_PUBLISH = 0x10;
    /** Size of the op byte plus the 3-byte length of echo and control frames. */
    public static final int LENGTH_PREFIXED_HEADER = 4;
    /** Largest length a 3-byte length field can carry. */
    public static final int MAX_LENGTH = 0xFF_FFFF;

    private BinaryOp() {
    }
}
