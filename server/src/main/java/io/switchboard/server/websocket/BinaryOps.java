package io.switchboard.server.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.switchboard.core.HubException;
import io.switchboard.core.command.CommandHandler;
import io.switchboard.core.hub.Connection;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.metrics.HubMetrics;
import io.switchboard.protocol.BinaryOp;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.ErrorCode;
import io.switchboard.protocol.Names;
import io.switchboard.protocol.ServerMessage;
import java.nio.charset.StandardCharsets;

/**
 * The binary messages of PROTOCOL.md section 7: echo {@code 0x01}, control {@code 0x02}, room publish
 * {@code 0x10}; anything else closes with 1003. Shared by every connection; stateless. Runs on the
 * connection's event loop.
 */
final class BinaryOps {
    private final Hub hub;

    BinaryOps(Hub hub) {
        this.hub = hub;
    }

    /** Handles one whole binary message; {@code in} is lent for the call. */
    void handle(ByteBufAllocator alloc, NettySession session, ByteBuf in) {
        long start = hub.time().nanoTime();
        hub.stats().received();
        hub.metrics().messageReceived(HubMetrics.FrameType.BINARY, in.readableBytes());
        op(alloc, session, in);
        hub.metrics().commandProcessed(session.connection().connId(), session, "binary", start, hub.time().nanoTime(), null);
    }

    private void op(ByteBufAllocator alloc, NettySession session, ByteBuf in) {
        if (!in.isReadable()) {
            hub.metrics().transportError("bad_binary");
            session.closeForViolation(CloseCode.UNSUPPORTED_DATA, "empty binary frame");
            return;
        }
        byte op = in.getByte(in.readerIndex());
        switch (op) {
            case BinaryOp.ECHO -> {
                ByteBuf payload = lengthPrefixedPayload(session, in);
                if (payload == null) {
                    return;
                }
                ByteBuf reply = alloc.buffer(BinaryOp.LENGTH_PREFIXED_HEADER + payload.readableBytes());
                reply.writeByte(BinaryOp.ECHO_REPLY).writeMedium(payload.readableBytes()).writeBytes(payload);
                session.sendBinary(reply);
            }
            case BinaryOp.CONTROL -> {
                if (lengthPrefixedPayload(session, in) == null) {
                    return;
                }
                session.sendBinary(alloc.buffer(1).writeByte(BinaryOp.CONTROL_ACK));
            }
            case BinaryOp.ROOM_PUBLISH -> relay(alloc, session, in);
            default -> {
                hub.metrics().transportError("bad_binary");
                session.closeForViolation(CloseCode.UNSUPPORTED_DATA, "unknown binary op");
            }
        }
    }

    /** The payload of an op + 3-byte length frame, or null after closing with 1003 when the length lies. */
    private ByteBuf lengthPrefixedPayload(NettySession session, ByteBuf in) {
        if (in.readableBytes() < BinaryOp.LENGTH_PREFIXED_HEADER) {
            hub.metrics().transportError("bad_binary");
            session.closeForViolation(CloseCode.UNSUPPORTED_DATA, "binary frame too short");
            return null;
        }
        int length = in.getUnsignedMedium(in.readerIndex() + 1);
        if (length != in.readableBytes() - BinaryOp.LENGTH_PREFIXED_HEADER) {
            hub.metrics().transportError("bad_binary");
            session.closeForViolation(CloseCode.UNSUPPORTED_DATA, "binary length does not match the frame");
            return null;
        }
        return in.slice(in.readerIndex() + BinaryOp.LENGTH_PREFIXED_HEADER, length);
    }

    private void relay(ByteBufAllocator alloc, NettySession session, ByteBuf in) {
        Connection connection = session.connection();
        int start = in.readerIndex();
        if (in.readableBytes() < 2) {
            session.closeForViolation(CloseCode.UNSUPPORTED_DATA, "binary frame too short");
            return;
        }
        int nameLength = in.getUnsignedByte(start + 1);
        if (nameLength == 0 || in.readableBytes() < 2 + nameLength) {
            session.closeForViolation(CloseCode.UNSUPPORTED_DATA, "binary room name length does not match the frame");
            return;
        }
        String room = in.toString(start + 2, nameLength, StandardCharsets.UTF_8);
        if (!Names.isValidRoom(room)) {
            hub.send(connection, new ServerMessage.Error(null, ErrorCode.INVALID_FIELD,
                    "room must match [A-Za-z0-9_.:@/-]{1,128}"));
            return;
        }
        try {
            CommandHandler.mayPublish(connection, room);
        } catch (HubException e) {
            hub.send(connection, new ServerMessage.Error(null, e.code(), e.getMessage()));
            return;
        }
        PreEncodedFrame frame = PreEncodedFrame.binary(alloc, in);
        try {
            hub.relay(connection, room, frame);
        } catch (HubException e) {
            hub.send(connection, new ServerMessage.Error(null, e.code(), e.getMessage()));
        } finally {
            frame.release();
        }
    }
}
