package io.switchboard.core.presence;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.core.presence.PresenceStore.UserConnection;
import io.switchboard.protocol.ServerMessage.Member;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What every {@link PresenceStore} must do, run against each implementation: two nodes (two store
 * instances over one backend) each write their own members and both read the union.
 */
public abstract class PresenceStoreContract {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A store over the shared backend; called twice in a test, it returns two nodes' clients. */
    protected abstract PresenceStore store() throws Exception;

    /**
     * A store for a second node next to {@code first}, for the occupancy cases: another instance, whose calls
     * must combine with the first's into one cluster-wide decision. A store that decides occupancy per node
     * (NATS KV) answers {@code first}: its cases then hold per node.
     */
    protected PresenceStore secondNode(PresenceStore first) throws Exception {
        return store();
    }

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
        get(nodeB.leave(room, "nb", "c-nb-1"));
        assertThat(get(nodeA.anyMember(room, List.of("c-nb-1")))).isFalse();
    }

    @Test
    void pagesListEveryMemberOnceInMemberOrderWhileOthersComeAndGo() throws Exception {
        PresenceStore nodeA = store();
        PresenceStore nodeB = store();
        for (int i = 0; i < 25; i++) {
            PresenceStore node = i % 2 == 0 ? nodeA : nodeB;
            get(node.join(room, i % 2 == 0 ? "na" : "nb", "u" + (char) ('a' + (i * 7) % 25), "c-" + i, null));
        }
        List<Member> all = get(nodeA.members(room));
        assertThat(all).hasSize(25);

        PresenceStore.MemberPage first = get(nodeA.page(room, null, 10));
        assertThat(first.count()).isEqualTo(25);
        assertThat(first.more()).isTrue();
        assertThat(first.members()).containsExactlyElementsOf(all.subList(0, 10));
        Member last = first.members().get(9);
        // Between pages: one listed member leaves, one joins before the cursor and one after it.
        Member gone = first.members().get(3);
        boolean onA = Integer.parseInt(gone.connId().substring(2)) % 2 == 0;
        get((onA ? nodeA : nodeB).leave(room, onA ? "na" : "nb", gone.connId()));
        get(nodeA.join(room, "na", "a-early", "c-early", null));
        get(nodeA.join(room, "na", "zz-late", "c-late", null));

        PresenceStore.MemberPage second = get(nodeB.page(room, PresenceStore.orderKey(last.userId(), last.connId()), 10));
        assertThat(second.count()).isEqualTo(26);
        assertThat(second.members()).containsExactlyElementsOf(all.subList(10, 20));
        Member secondLast = second.members().get(9);
        PresenceStore.MemberPage third = get(nodeA.page(room,
                PresenceStore.orderKey(secondLast.userId(), secondLast.connId()), 10));
        assertThat(third.more()).isFalse();
        List<String> rest = new java.util.ArrayList<>(all.subList(20, 25).stream().map(Member::connId).toList());
        rest.add("c-late");
        assertThat(third.members()).extracting(Member::connId).containsExactlyElementsOf(rest);
        assertThat(get(nodeA.page(room + "-empty", null, 10))).isEqualTo(new PresenceStore.MemberPage(0, List.of(),
                false));
    }

    @Test
    void pagesSortUserIdsThatPrefixOthersAsTheirOrderKeysDo() throws Exception {
        PresenceStore store = store();
        List<Member> joined = new ArrayList<>();
        String[][] members = {{"ab", "c-1"}, {"a", "c-2"}, {"a-b", "c-3"}, {"a", "c-10"}, {"b", "c-4"}, {"ab", "c-0"}};
        for (String[] m : members) {
            get(store.join(room, "na", m[0], m[1], null));
            joined.add(new Member(m[0], m[1]));
        }
        List<Member> byKey = new ArrayList<>(joined);
        byKey.sort(java.util.Comparator.comparing(m -> PresenceStore.orderKey(m.userId(), m.connId())));
        assertThat(get(store.members(room))).containsExactlyElementsOf(byKey);
        for (int i = 0; i < byKey.size(); i++) {
            Member at = byKey.get(i);
            assertThat(get(store.page(room, PresenceStore.orderKey(at.userId(), at.connId()), 10)).members())
                    .as("after %s", at).containsExactlyElementsOf(byKey.subList(i + 1, byKey.size()));
        }
        // A cursor that is a bare user id sorts before that user's members and after every shorter id it extends.
        assertThat(get(store.page(room, "ab", 10)).members()).containsExactlyElementsOf(
                byKey.stream().filter(m -> PresenceStore.orderKey(m.userId(), m.connId()).compareTo("ab") > 0).toList());
        assertThat(get(store.page(room, "a", 2)).members()).containsExactlyElementsOf(byKey.subList(0, 2));
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
        get(nodeA.leave(room, "na", "c-1"));
        assertThat(get(nodeA.members(room))).extracting(Member::connId).containsExactly("c-2");
        get(nodeB.leave(room, "nb", "c-2"));
        get(nodeB.leave(room, "nb", "c-never"));
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
        assertThat(get(nodeA.disconnect(user, "na", "c-na-1"))).isTrue();
        assertThat(get(nodeA.disconnect(user, "na", "c-na-1"))).as("only the first removal takes it").isFalse();
        assertThat(get(nodeA.disconnect(user, "na", "c-unknown"))).isFalse();
        assertThat(get(nodeB.connections(user))).containsExactly(new UserConnection(user, "c-nb-7", "nb"));
        assertThat(get(nodeA.connections(tag + "-nobody"))).isEmpty();
    }

    @Test
    void onlyTheJoinThatFillsAnEmptyRoomSaysItIsOccupied() throws Exception {
        PresenceStore nodeA = store();
        PresenceStore nodeB = secondNode(nodeA);
        assertThat(get(nodeA.join(room, "na", "ann", "c-1", null))).isTrue();
        assertThat(get(nodeB.join(room, "nb", "bob", "c-2", null))).isFalse();
        assertThat(get(nodeA.join(room, "na", "ann", "c-1", null))).as("a member joining again").isFalse();
        assertThat(get(nodeB.join(room + "-other", "nb", "bob", "c-2", null))).as("another room").isTrue();
    }

    @Test
    void onlyTheLeaveThatEmptiesARoomSaysItIsVacatedAndOnlyTheFirstRemovalTakesTheMember() throws Exception {
        PresenceStore nodeA = store();
        PresenceStore nodeB = secondNode(nodeA);
        get(nodeA.join(room, "na", "ann", "c-1", null));
        get(nodeB.join(room, "nb", "bob", "c-2", null));
        assertThat(get(nodeA.leave(room, "na", "c-1"))).isEqualTo(new PresenceStore.Leave(true, false));
        assertThat(get(nodeB.leave(room, "nb", "c-2"))).isEqualTo(new PresenceStore.Leave(true, true));
        assertThat(get(nodeB.leave(room, "nb", "c-2"))).isEqualTo(new PresenceStore.Leave(false, false));
        assertThat(get(nodeA.join(room, "na", "ann", "c-1", null))).as("occupied again").isTrue();
    }

    @Test
    void racingJoinsAndLeavesOnTwoNodesPairEveryOccupiedWithOneVacated() throws Exception {
        PresenceStore first = store();
        PresenceStore[] nodes = {first, secondNode(first)};
        AtomicInteger occupied = new AtomicInteger();
        AtomicInteger vacated = new AtomicInteger();
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int round = 0; round < 50; round++) {
            all.clear();
            for (int n = 0; n < 4; n++) {
                PresenceStore node = nodes[n % 2];
                String nodeId = n % 2 == 0 ? "na" : "nb";
                String conn = "c-" + round + "-" + n;
                all.add(node.join(room, nodeId, "u" + n, conn, null).thenCompose(o -> {
                    if (o) {
                        occupied.incrementAndGet();
                    }
                    return node.leave(room, nodeId, conn);
                }).thenAccept(l -> {
                    if (l.vacated()) {
                        vacated.incrementAndGet();
                    }
                }).toCompletableFuture());
            }
            get(CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)));
            assertThat(vacated.get()).as("round " + round).isEqualTo(occupied.get());
        }
        assertThat(occupied.get()).isBetween(50, 200);
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
