package io.switchboard.core.broker;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * What one node tells the others through the {@link Broker}: a message already encoded for the wire
 * ({@code json}) and where it goes. The binary layout is private to the hub and versioned by its first
 * byte; a node that meets a version or kind it does not know drops the message with a log line.
 *
 * @param kind what it is and how it is routed
 * @param origin the node that published it (a node ignores its own)
 * @param target the room (room kinds), the user (private, kick, subscriptions) or the HTTP streaming session
 *     (stream kinds); empty for broadcasts
 * @param epoch the history epoch of a numbered room message; empty otherwise
 * @param offset the offset of a numbered room message; the request number of a stream command or its answer;
 *     0 otherwise
 * @param exclude the connection that must not receive it (a sender without echo); empty for none
 * @param code the close code of a kick; the HTTP status of a stream answer; 0 otherwise
 * @param json the frame payload, exactly as members receive it; the room's name (UTF-8) of a subscription; the
 *     command of a stream command; the answer's text (UTF-8) of a stream answer
 */
public record Envelope(Kind kind, String origin, String target, String epoch, long offset, String exclude, int code,
                       byte[] json) {
    private static final int VERSION = 1;

    /** Envelope kinds; the ordinal is never written, only {@link #wire}. */
    public enum Kind {
        /** A room message with an offset in the room's history. */
        ROOM_MESSAGE(1),
        /** A room notice without an offset (member joined or left). */
        ROOM_NOTICE(2),
        /** A private message for every connection of {@code target} on the receiving node. */
        PRIVATE(3),
        /** A message for every connection of the receiving node. */
        BROADCAST(4),
        /** Close every connection of user {@code target} on the receiving node with {@code code}. */
        KICK(5),
        /** Join every connection of user {@code target} on the receiving node to the room named by {@code json}. */
        SUBSCRIBE(6),
        /** Take every connection of user {@code target} on the receiving node out of the room named by {@code json}. */
        UNSUBSCRIBE(7),
        /**
         * A command posted on another node for the HTTP streaming session {@code target}, which lives on the
         * receiving node; published on that node's channel, answered with {@link #STREAM_ANSWER}.
         */
        STREAM_COMMAND(8),
        /** The receiving node's forwarded {@link #STREAM_COMMAND} number {@code offset} was answered {@code code}. */
        STREAM_ANSWER(9);

        final int wire;

        Kind(int wire) {
            this.wire = wire;
        }

        static Kind of(int wire) {
            for (Kind k : values()) {
                if (k.wire == wire) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown envelope kind " + wire);
        }
    }

    /** The broker channel of a room: every node with members of the room subscribes to it. */
    public static String roomChannel(String room) {
        return "room." + room;
    }

    public static Envelope roomMessage(String origin, String room, String epoch, long offset, String exclude,
                                       byte[] json) {
        return new Envelope(Kind.ROOM_MESSAGE, origin, room, epoch, offset, exclude, 0, json);
    }

    public static Envelope roomNotice(String origin, String room, byte[] json) {
        return new Envelope(Kind.ROOM_NOTICE, origin, room, "", 0, "", 0, json);
    }

    public static Envelope privateMessage(String origin, String userId, byte[] json) {
        return new Envelope(Kind.PRIVATE, origin, userId, "", 0, "", 0, json);
    }

    public static Envelope broadcast(String origin, String exclude, byte[] json) {
        return new Envelope(Kind.BROADCAST, origin, "", "", 0, exclude, 0, json);
    }

    public static Envelope kick(String origin, String userId, int code) {
        return new Envelope(Kind.KICK, origin, userId, "", 0, "", code, new byte[0]);
    }

    /** The backend subscribed ({@code subscribe}) or unsubscribed a user to or from a room, on every node. */
    public static Envelope subscription(String origin, String userId, String room, boolean subscribe) {
        return new Envelope(subscribe ? Kind.SUBSCRIBE : Kind.UNSUBSCRIBE, origin, userId, "", 0, "", 0,
                room.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** A command for HTTP streaming session {@code session}, the {@code request}th its node {@code origin} forwards. */
    public static Envelope streamCommand(String origin, String session, long request, byte[] command) {
        return new Envelope(Kind.STREAM_COMMAND, origin, session, "", request, "", 0, command);
    }

    /** What became of forwarded command {@code request}: an HTTP status and the text for the poster. */
    public static Envelope streamAnswer(String origin, String session, long request, int status, String text) {
        return new Envelope(Kind.STREAM_ANSWER, origin, session, "", request, "", status,
                text.getBytes(StandardCharsets.UTF_8));
    }

    /** The broker channel of one node: messages for that node only. */
    public static String nodeChannel(String nodeId) {
        return "node." + nodeId;
    }

    public Envelope {
        target = target == null ? "" : target;
        epoch = epoch == null ? "" : epoch;
        exclude = exclude == null ? "" : exclude;
    }

    /** The connection to skip, or null. */
    public String excludeOrNull() {
        return exclude.isEmpty() ? null : exclude;
    }

    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(json.length + 64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeByte(kind.wire);
            out.writeUTF(origin);
            out.writeUTF(target);
            out.writeUTF(epoch);
            out.writeLong(offset);
            out.writeUTF(exclude);
            out.writeInt(code);
            out.write(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Decodes what {@link #encode} wrote; throws IllegalArgumentException on anything else. */
    public static Envelope decode(byte[] payload) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload))) {
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new IllegalArgumentException("unknown envelope version " + version);
            }
            Kind kind = Kind.of(in.readUnsignedByte());
            String origin = in.readUTF();
            String target = in.readUTF();
            String epoch = in.readUTF();
            long offset = in.readLong();
            String exclude = in.readUTF();
            int code = in.readInt();
            byte[] json = in.readAllBytes();
            return new Envelope(kind, origin, target, epoch, offset, exclude, code, json);
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated envelope", e);
        }
    }
}
