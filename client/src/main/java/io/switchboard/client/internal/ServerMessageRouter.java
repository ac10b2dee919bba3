package io.switchboard.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.client.ClientListener;
import io.switchboard.client.ServerError;
import io.switchboard.client.SwitchboardClientException.ServerErrorException;
import io.switchboard.protocol.ServerMessage;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Routes each message of the current connection to where it belongs: {@code welcome} and
 * {@code server_shutdown} to the connection's owner, room events to {@link Rooms}, replies and errors
 * that carry an id to {@link PendingRequests}, direct messages, binary frames and unsolicited errors to
 * the client's listener (through the callback executor, in order).
 *
 * <p>Confined to the client's event loop.
 */
final class ServerMessageRouter {
    private final ClientListener listener;
    /** Whether the listener overrides onServerMessage: if not, no per-message task is queued for it. */
    private final boolean tapsServerMessages;
    private final Executor callbacks;
    private final Rooms rooms;
    private final PendingRequests pending;
    /** The session opened: the owner updates its state, rejoins and drains its queue. */
    private final Consumer<JsonNode> onWelcome;
    /** The server announced its shutdown with {@code reconnectAfterMs} (0 when it gave none). */
    private final LongConsumer onShutdownHint;

    ServerMessageRouter(ClientListener listener, Executor callbacks, Rooms rooms, PendingRequests pending,
                        Consumer<JsonNode> onWelcome, LongConsumer onShutdownHint) {
        this.listener = listener;
        this.tapsServerMessages = overrides(listener, "onServerMessage", JsonNode.class);
        this.callbacks = callbacks;
        this.rooms = rooms;
        this.pending = pending;
        this.onWelcome = onWelcome;
        this.onShutdownHint = onShutdownHint;
    }

    private static boolean overrides(ClientListener listener, String method, Class<?>... parameters) {
        try {
            return listener.getClass().getMethod(method, parameters).getDeclaringClass() != ClientListener.class;
        } catch (NoSuchMethodException e) {
            return true;
        }
    }

    /** One JSON object from the server. */
    void onText(JsonNode m) {
        if (tapsServerMessages) {
            callbacks.execute(() -> listener.onServerMessage(m));
        }
        String type = m.path("type").asText("");
        switch (type) {
            case ServerMessage.Welcome.TYPE -> onWelcome.accept(m);
            case ServerMessage.RoomMessage.TYPE -> rooms.onRoomMessage(m);
            case ServerMessage.RoomJoined.TYPE -> {
                rooms.onRoomJoined(m);
                pending.reply(m);
            }
            case ServerMessage.UserJoinedRoom.TYPE -> rooms.onMembership(m, true);
            case ServerMessage.UserLeftRoom.TYPE -> rooms.onMembership(m, false);
            case ServerMessage.PrivateMessage.TYPE, ServerMessage.Broadcast.TYPE -> {
                var dm = Decode.direct(m, type.equals(ServerMessage.Broadcast.TYPE));
                callbacks.execute(() -> listener.onDirectMessage(dm));
            }
            case ServerMessage.Error.TYPE -> onError(m);
            case ServerMessage.ServerShutdown.TYPE -> {
                long hint = Math.max(0, m.path("reconnectAfterMs").asLong(0));
                onShutdownHint.accept(hint);
                callbacks.execute(() -> listener.onServerShutdown(hint));
            }
            default -> pending.reply(m);
        }
    }

    void onBinary(byte[] frame) {
        callbacks.execute(() -> listener.onBinary(frame));
    }

    /** A text frame that is not a JSON object. */
    void onInvalidText(String problem) {
        ServerError e = new ServerError("invalid_json", "server sent a frame that is not JSON: " + problem, null);
        callbacks.execute(() -> listener.onError(e));
    }

    /** An error fails the request it answers (a refused join loses its room); without one it goes to the listener. */
    private void onError(JsonNode m) {
        String code = m.path("code").asText("");
        String text = m.path("error").asText("");
        String id = m.hasNonNull("id") ? m.get("id").asText() : null;
        PendingRequest<?> p = id == null ? null : pending.remove(id);
        if (p == null) {
            ServerError e = new ServerError(code, text, id);
            callbacks.execute(() -> listener.onError(e));
            return;
        }
        ServerErrorException refused = new ServerErrorException(code, text);
        p.fail(refused);
        if (rooms.joinRefused(p, refused)) {
            ServerError e = new ServerError(code, "rejoin of " + p.room + " refused: " + text, id);
            callbacks.execute(() -> listener.onError(e));
        }
    }
}
