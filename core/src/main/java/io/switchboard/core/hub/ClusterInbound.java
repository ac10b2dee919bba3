package io.switchboard.core.hub;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.broker.Broker;
import io.switchboard.core.broker.Envelope;
import io.switchboard.core.broker.ForwardedCommands;
import io.switchboard.protocol.CloseCode;
import io.switchboard.protocol.JsonCodec;
import io.switchboard.protocol.ServerMessage;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the broker delivers: other nodes' messages for this node's rooms and users. On the broker's
 * threads; never throws (a message that cannot be handled is logged and dropped).
 */
final class ClusterInbound implements Broker.Listener {
    private static final Logger log = LoggerFactory.getLogger(ClusterInbound.class);

    /** Closes a user's connections on this node. */
    interface Kicker {
        int kick(String userId, CloseCode code, String reason);
    }

    private final HubContext ctx;
    private final Broker broker;
    private final String nodeId;
    private final JsonCodec codec;
    private final Map<String, Room> rooms;
    private final RoomSequencer sequencer;
    private final Republisher republisher;
    private final FanOut fanOut;
    private final DirectMessages direct;
    private final Kicker kicker;
    private final ServerSubscriptions subscriptions;
    private final PresenceDiffs diffs;
    private final Supplier<ForwardedCommands> forwarded;

    ClusterInbound(HubContext ctx, Map<String, Room> rooms, RoomSequencer sequencer, Republisher republisher,
                   FanOut fanOut, DirectMessages direct, Kicker kicker, ServerSubscriptions subscriptions,
                   PresenceDiffs diffs, Supplier<ForwardedCommands> forwarded) {
        this.forwarded = forwarded;
        this.subscriptions = subscriptions;
        this.ctx = ctx;
        this.broker = ctx.broker();
        this.nodeId = ctx.nodeId();
        this.codec = ctx.codec();
        this.rooms = rooms;
        this.sequencer = sequencer;
        this.republisher = republisher;
        this.fanOut = fanOut;
        this.direct = direct;
        this.kicker = kicker;
        this.diffs = diffs;
    }

    @Override
    public void onMessage(String channel, byte[] payload) {
        try {
            Envelope e = Envelope.decode(payload);
            if (e.origin().equals(nodeId)) {
                return;
            }
            switch (e.kind()) {
                case ROOM_MESSAGE -> {
                    Room room = rooms.get(e.target());
                    if (room != null) {
                        sequencer.sequence(room, e.epoch(), e.offset(), e.json(), e.excludeOrNull());
                    }
                }
                case ROOM_NOTICE -> {
                    Room room = rooms.get(e.target());
                    if (room != null) {
                        // Parsed once here, outside the monitor, not by every join that reads it.
                        Room.RemoteChange change = remoteChange(room.name, e.json());
                        synchronized (room) {
                            if (!room.removed) {
                                if (change != null) {
                                    room.heardRemoteChange(change, Room.MAX_REMOTE_NOTICES,
                                            ctx.oldestRemoteChangeKept());
                                }
                                if (change == null) {
                                    fanOut.fanOutLocked(room, e.json(), null, FanOut.UNNUMBERED);
                                } else {
                                    room.knownCount = Math.max(room.members.size(),
                                            room.knownCount + (change.joined() ? 1 : -1));
                                    diffs.changed(room, change.joined(), change.userId(), change.connId(), e.json(),
                                            null);
                                }
                            }
                        }
                    }
                }
                case PRIVATE -> direct.deliverPrivate(e.target(), e.json());
                case BROADCAST -> direct.broadcastFromOtherNode(e.json());
                case KICK -> {
                    CloseCode code = CloseCode.of(e.code());
                    kicker.kick(e.target(), code != null ? code : CloseCode.FORBIDDEN,
                            "disconnected by the server");
                }
                case SUBSCRIBE -> subscriptions.subscribe(e.target(), new String(e.json(), StandardCharsets.UTF_8));
                case UNSUBSCRIBE -> subscriptions.unsubscribe(e.target(),
                        new String(e.json(), StandardCharsets.UTF_8));
                case STREAM_COMMAND -> forwarded.get().command(e.origin(), e.target(), e.offset(), e.json());
                case STREAM_ANSWER -> forwarded.get().answer(e.target(), e.offset(), e.code(),
                        new String(e.json(), StandardCharsets.UTF_8));
                default -> log.warn("dropped a broker message of kind {} on {}", e.kind(), channel);
            }
        } catch (RuntimeException ex) {
            log.warn("dropped a broker message on {} that could not be handled", channel, ex);
        }
    }

    @Override
    public void onReconnected() {
        log.atInfo().addKeyValue("broker", broker.describe())
                .log("broker {} is back; reading what {} rooms missed from history", broker.describe(),
                        rooms.size());
        for (Room room : rooms.values()) {
            sequencer.catchUp(room);
        }
        republisher.brokerBack();
    }

    /** The join or leave another node's room notice announces; null for any other notice. */
    private Room.RemoteChange remoteChange(String roomName, byte[] json) {
        JsonNode notice;
        try {
            notice = codec.mapper().readTree(json);
        } catch (java.io.IOException e) {
            log.warn("room {}: ignored a notice from another node that is not JSON", roomName);
            return null;
        }
        String type = notice.path("type").asText("");
        String connId = notice.path("connId").asText(null);
        String userId = notice.path("userId").asText(null);
        boolean joined = type.equals(ServerMessage.UserJoinedRoom.TYPE);
        if (connId == null || userId == null || !joined && !type.equals(ServerMessage.UserLeftRoom.TYPE)) {
            return null;
        }
        return new Room.RemoteChange(connId, userId, joined, ctx.time().nanoTime());
    }
}
