package io.switchboard.core.presence;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.core.presence.PresenceStore.UserConnection;
import io.switchboard.protocol.ServerMessage.Member;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What every {@link PresenceStore} must do, run against each implementation: two nodes (two store
 * instances over one backend) each write their own members and both read the union.
 */
public abstract class PresenceStoreContract {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A store over the shared backend; called twice in a test, it returns two nodes' clients. */
    protected abstract PresenceStore store() throws Exception;

    /** Unique per test so that tests sharing a backend never see each other's rooms and users. */
    protected final String tag = "p" + UUID.randomUUID().toString().substring(0, 8);
    protected final String room = tag + ":room";

    @Test
    void listsTheMembersOfEveryNodeSorted() throws Exception {
        PresenceStore nodeA = store();
        PresenceStore nodeB = store();
        get(nodeA.join(room, "na", "zoe", "c-na-1", null));
        get(nodeB.join(room, "nb", "adam", "c-nb-1", null));
        get(nodeB.join(room, "nb", "zoe", "c-nb-2", null));
        List<Member> expected = List.of(new Member("adam", "c-nb-1"), new Member("zoe", "c-na-1"),
                new Member("zoe", "c-nb-2"));
        assertThat(get(nodeA.members(room))).containsExactlyElementsOf(expected);
        assertThat(get(nodeB.members(room))).containsExactlyElementsOf(expected);
        assertThat(get(nodeA.members(room + "-empty"))).isEmpty();
    }

    @Test
    void anyMemberAnswersForMembersOfEveryNodeAndForgetsThoseThatLeft() throws Exception {
        PresenceStore nodeA = store();
        PresenceStore nodeB = store();
        get(nodeA.join(room, "na", "zoe", "c-na-1", null));
        get(nodeB.join(room, "nb", "adam", "c-nb-1", null));
        assertThat(get(nodeA.anyMember(room, List.of("c-x", "c-nb-1")))).isTrue();
        assertThat(get(nodeB.anyMember(room, List.of("c-na-1")))).isTrue();
        assertThat(get(nodeA.anyMember(room, List.of("c-x", "c-y")))).isFalse();
        assertThat(get(nodeA.anyMember(room, List.of()))).isFalse();
        assertThat(get(nodeA.anyMember(room + "-empty", List.of("c-na-1")))).isFalse();
        get(nodeB.leave(room, "c-nb-1"));
        assertThat(get(nodeA.anyMember(room, List.of("c-nb-1")))).isFalse();
    }

    @Test
    void keepsPresenceMetadata() throws Exception {
        PresenceStore s = store();
        JsonNode info = JSON.readTree("{\"name\":\"Zoë\",\"roles\":[\"admin\"]}");
        get(s.join(room, "na", "zoe", "c-1", info));
        assertThat(get(s.members(room))).containsExactly(new Member("zoe", "c-1", info));
    }

    @Test
    void forgetsMembersThatLeft() throws Exception {
        PresenceStore nodeA = store();
        PresenceStore nodeB = store();
        get(nodeA.join(room, "na", "a", "c-1", null));
        get(nodeB.join(room, "nb", "b", "c-2", null));
        get(nodeB.leave(room, "c-1"));
        assertThat(get(nodeA.members(room))).extracting(Member::connId).containsExactly("c-2");
        get(nodeB.leave(room, "c-2"));
        get(nodeB.leave(room, "c-never"));
        assertThat(get(nodeA.members(room))).isEmpty();
    }

    @Test
    void findsEveryConnectionOfAUserOnEveryNode() throws Exception {
        PresenceStore nodeA = store();
        PresenceStore nodeB = store();
        String user = tag + "-alice";
        get(nodeA.connect(user, "c-na-1", "na"));
        get(nodeB.connect(user, "c-nb-7", "nb"));
        get(nodeB.connect(tag + "-bob", "c-nb-8", "nb"));
        assertThat(get(nodeB.connections(user))).containsExactly(
                new UserConnection(user, "c-na-1", "na"), new UserConnection(user, "c-nb-7", "nb"));
        get(nodeA.disconnect(user, "c-na-1"));
        get(nodeA.disconnect(user, "c-unknown"));
        assertThat(get(nodeB.connections(user))).containsExactly(new UserConnection(user, "c-nb-7", "nb"));
        assertThat(get(nodeA.connections(tag + "-nobody"))).isEmpty();
    }

    @Test
    void refreshKeepsANodesEntries() throws Exception {
        PresenceStore s = store();
        String user = tag + "-carol";
        get(s.join(room, "na", user, "c-1", null));
        get(s.connect(user, "c-1", "na"));
        get(s.refresh("na", List.of(new PresenceStore.RoomMember(room, user, "c-1", null)),
                List.of(new UserConnection(user, "c-1", "na"))));
        assertThat(get(s.members(room))).containsExactly(new Member(user, "c-1"));
        assertThat(get(s.connections(user))).containsExactly(new UserConnection(user, "c-1", "na"));
    }

    protected static <T> T get(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
