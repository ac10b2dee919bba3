package io.switchboard.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.client.RoomJoined;
import io.switchboard.protocol.Command;
import io.switchboard.protocol.JsonCodec;
import java.util.List;
import org.junit.jupiter.api.Test;

class RoomStateTest {
    private final RoomState room = new RoomState("feed");

    private static RoomJoined joined(long offset, String epoch, Boolean recovered) {
        return new RoomJoined("feed", List.of(), offset, epoch, recovered);
    }

    @Test
    void firstJoinCarriesNoSinceAndRejoinsCarryTheLastDeliveredOffset() {
        JsonCodec codec = new JsonCodec();
        assertThat(room.since()).isNull();
        assertThat(codec.encodeCommand(new Command.JoinRoom(null, "feed", room.since()))).doesNotContain("since");
        room.joined(joined(4, "e1", null));
        assertThat(room.accept(5)).isTrue();
        assertThat(room.accept(6)).isTrue();
        assertThat(codec.encodeCommand(new Command.JoinRoom(null, "feed", room.since())))
                .isEqualTo("{\"type\":\"join_room\",\"room\":\"feed\",\"since\":{\"offset\":6,\"epoch\":\"e1\"}}");
    }

    @Test
    void replayOverlapIsDroppedSoEachOffsetIsDeliveredOnce() {
        room.joined(joined(0, "e1", null));
        assertThat(room.accept(1)).isTrue();
        assertThat(room.accept(2)).isTrue();
        assertThat(room.accept(2)).isFalse();
        assertThat(room.accept(1)).isFalse();
        assertThat(room.accept(3)).isTrue();
    }

    @Test
    void recoveredTrueKeepsTheOffsetsDelivered() {
        room.joined(joined(0, "e1", null));
        room.accept(1);
        room.accept(2);
        assertThat(room.joined(joined(2, "e1", true))).isFalse();
        assertThat(room.accept(3)).isTrue();
    }

    @Test
    void recoveredFalseStartsOverFromTheNewEpochsOffset() {
        room.joined(joined(0, "e1", null));
        room.accept(1);
        room.accept(2);
        assertThat(room.joined(joined(0, "e2", false))).isTrue();
        assertThat(room.accept(1)).as("offset 1 of the new epoch").isTrue();
        assertThat(room.epoch).isEqualTo("e2");
    }

    @Test
    void recoveredTrueThatStopsShortOfTheServersOffsetCountsAsAFailedRecovery() {
        room.joined(joined(0, "e1", null));
        room.accept(1);
        assertThat(room.joined(joined(5, "e1", true))).isTrue();
        assertThat(room.accept(5)).isFalse();
        assertThat(room.accept(6)).isTrue();
    }

    @Test
    void messagesBeforeTheFirstRoomJoinedAreDeliveredAndNotRepeated() {
        assertThat(room.accept(7)).isTrue();
        room.joined(joined(6, "e1", null));
        assertThat(room.lastOffset).isEqualTo(7);
        assertThat(room.accept(7)).isFalse();
    }
}
