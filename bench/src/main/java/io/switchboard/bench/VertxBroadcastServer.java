package io.switchboard.bench;

import io.switchboard.protocol.Command;
import io.switchboard.protocol.ErrorCode;
import io.switchboard.protocol.ServerMessage;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A peer from another stack for the benchmark harness: a Vert.x 5 WebSocket broadcast server written
 * the way the Vert.x core manual writes one. One verticle owns an {@code HttpServer} with a
 * {@code webSocketHandler}; a room is a set of {@link ServerWebSocket}s; a publish encodes the message
 * once with {@link JsonObject} and calls {@link ServerWebSocket#writeTextMessage} on each member. Vert.x
 * defaults otherwise (its event loop pool, its write batching), plus the native transport its manual
 * recommends on Linux, as Switchboard and the naive server use epoll.
 *
 * <p>It speaks the same subset of protocol v1 as {@link NaiveBroadcastServer}, with the same JSON shape
 * and field order: welcome, join_room, room_message with offsets and acks, ping, echo. Not a product.
 *
 * <p>Threading: a verticle runs on one event loop, so its rooms and offsets are plain maps confined to it.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar io.switchboard.bench.VertxBroadcastServer PORT}
 */
public final class VertxBroadcastServer extends VerticleBase {
    private final int port;
    private final Map<String, Set<ServerWebSocket>> rooms = new HashMap<>();
    private final Map<String, Long> offsets = new HashMap<>();
    private long connections;

    private VertxBroadcastServer(int port) {
        this.port = port;
    }

    public static void main(String[] args) {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8092;
        // benchmarks.jar carries the SLF4J API without a binding: Vert.x would log to a no-op logger, hiding its errors.
        System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.JULLogDelegateFactory");
        Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
        vertx.deployVerticle(new VertxBroadcastServer(port)).onComplete(deployed -> {
            if (deployed.succeeded()) {
                System.out.println("Vert.x broadcast server listening on 127.0.0.1:" + port + " (native transport "
                        + vertx.isNativeTransportEnabled() + ")");
            } else {
                deployed.cause().printStackTrace();
                vertx.close();
                System.exit(1);
            }
        });
    }

    @Override
    public Future<?> start() {
        return vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
                .webSocketHandshakeHandler(handshake -> {
                    if (handshake.path().equals("/ws")) {
                        handshake.accept();
                    } else {
                        handshake.reject(404);
                    }
                })
                .webSocketHandler(this::connected)
                .listen();
    }

    private void connected(ServerWebSocket ws) {
        String userId = queryParam(ws.query(), "id", "anon");
        String connId = "c-vertx-" + ++connections;
        Set<String> joined = new LinkedHashSet<>();
        ws.textMessageHandler(text -> received(ws, userId, connId, joined, text));
        ws.closeHandler(closed -> joined.forEach(room -> {
            Set<ServerWebSocket> members = rooms.get(room);
            if (members != null) {
                members.remove(ws);
            }
        }));
        ws.writeTextMessage(new JsonObject().put("type", ServerMessage.Welcome.TYPE).put("connId", connId)
                .put("userId", userId).put("content", ServerMessage.Welcome.GREETING).encode());
    }

    private void received(ServerWebSocket ws, String userId, String connId, Set<String> joined, String text) {
        JsonObject cmd;
        try {
            cmd = new JsonObject(text);
        } catch (DecodeException e) {
            ws.writeTextMessage(new JsonObject().put("type", ServerMessage.Error.TYPE)
                    .put("code", ErrorCode.UNKNOWN_TYPE.wireName()).put("error", "not JSON").encode());
            return;
        }
        String type = cmd.getString("type", "");
        String room = cmd.getString("room", "");
        JsonObject reply = new JsonObject();
        switch (type) {
            case Command.JoinRoom.TYPE -> {
                rooms.computeIfAbsent(room, r -> new LinkedHashSet<>()).add(ws);
                joined.add(room);
                reply.put("type", ServerMessage.RoomJoined.TYPE).put("room", room)
                        .put("members", new JsonArray())
                        .put("offset", offsets.getOrDefault(room, 0L)).put("epoch", "vertx");
            }
            case Command.RoomMessage.TYPE -> {
                long offset = offsets.merge(room, 1L, Long::sum);
                String message = new JsonObject().put("type", ServerMessage.RoomMessage.TYPE).put("room", room)
                        .put("from", userId).put("connId", connId).put("content", cmd.getValue("content"))
                        .put("data", cmd.getValue("data")).put("offset", offset).put("ts", System.currentTimeMillis())
                        .encode();
                boolean echo = cmd.getBoolean("echo", false);
                for (ServerWebSocket member : rooms.getOrDefault(room, Set.of())) {
                    if (echo || member != ws) {
                        member.writeTextMessage(message);
                    }
                }
                if (!cmd.containsKey("id")) {
                    return;
                }
                reply.put("type", ServerMessage.Ack.TYPE).put("offset", offset);
            }
            case Command.Ping.TYPE -> reply.put("type", ServerMessage.Pong.TYPE);
            case Command.Echo.TYPE -> reply.put("type", ServerMessage.EchoReply.TYPE)
                    .put("content", cmd.getValue("content")).put("data", cmd.getValue("data"));
            default -> reply.put("type", ServerMessage.Error.TYPE).put("code", ErrorCode.UNKNOWN_TYPE.wireName())
                    .put("error", "unsupported");
        }
        if (cmd.containsKey("id")) {
            reply.put("id", cmd.getValue("id"));
        }
        ws.writeTextMessage(reply.encode());
    }

    /** The value of {@code name} in a raw query string, or {@code otherwise}. */
    static String queryParam(String query, String name, String otherwise) {
        if (query == null) {
            return otherwise;
        }
        for (String pair : query.split("&")) {
            if (pair.startsWith(name + "=")) {
                return pair.substring(name.length() + 1);
            }
        }
        return otherwise;
    }
}
