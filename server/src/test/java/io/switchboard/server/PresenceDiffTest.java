package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.config.Presence;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Above {@code presence.diffAboveMembers} a room's joins and leaves arrive as one {@code presence_diff} per
 * {@code presence.diffInterval}, at most {@code presence.joinMembersLimit} names each. Real clients, with the
 * thresholds set low (3 members, 2 names).
 */
class PresenceDiffTest {
    private SwitchboardServer server;
    private final List<WsClient> clients = new ArrayList<>();

    @BeforeEach
    void start() {
        server = SwitchboardServer.start(TestServers.config().toBuilder().presence(Presence.builder()
                .diffAboveMembers(3).joinMembersLimit(2).diffInterval(Duration.ofMillis(500)).build()).build());
    }

    @AfterEach
    void stop() {
        clients.forEach(WsClient::close);
        server.close();
    }

    private WsClient client(String user) {
        WsClient c = WsClient.welcomed(server.port(), user);
        clients.add(c);
        return c;
    }

    private static void join(WsClient c) {
        c.send("{\"type\":\"join_room\",\"room\":\"big\"}");
        c.nextOfType("room_joined");
    }

    private static List<String> users(JsonNode members) {
        List<String> out = new ArrayList<>();
        members.forEach(m -> out.add(m.path("userId").asText()));
        return out;
    }

    @Test
    void aLargeRoomGetsOneDiffPerIntervalInsteadOfANoticePerChange() {
        WsClient alice = client("alice");
        WsClient bob = client("bob");
        WsClient carol = client("carol");
        List<WsClient> later = List.of(client("dave"), client("eve"));
        join(alice);
        join(bob);
        join(carol);
        assertThat(alice.next("user_joined_room").path("userId").asText()).as("small room: a notice each")
                .isEqualTo("bob");
        assertThat(alice.next("user_joined_room").path("userId").asText()).isEqualTo("carol");

        for (WsClient c : later) {
            join(c);
        }
        WsClient eve = later.get(1);
        // eve and carol may still get notices of earlier joins; what they get is not this test's subject.
        eve.send("{\"type\":\"leave_room\",\"room\":\"big\"}");
        eve.nextOfType("room_left");
        carol.send("{\"type\":\"leave_room\",\"room\":\"big\"}");
        carol.nextOfType("room_left");

        JsonNode diff = alice.next();
        assertThat(diff.path("type").asText()).as("no single notices before the diff").isEqualTo("presence_diff");
        assertThat(diff.path("room").asText()).isEqualTo("big");
        assertThat(users(diff.path("joins"))).as("eve came and went: no change").containsExactly("dave");
        assertThat(users(diff.path("leaves"))).containsExactly("carol");
        assertThat(diff.path("count").asInt()).isEqualTo(3);
        assertThat(diff.has("truncated")).isFalse();
        JsonNode bobs = bob.nextOfType("presence_diff");
        assertThat(bobs).isEqualTo(diff);
    }

    @Test
    void aDiffListsAtMostTheLimitAndSaysTruncatedBeyondIt() {
        WsClient alice = client("alice");
        List<WsClient> others = new ArrayList<>();
        for (String user : List.of("b", "c", "d", "e", "f", "g")) {
            others.add(client(user));
        }
        join(alice);
        for (WsClient c : others.subList(0, 2)) {
            join(c);
        }
        alice.next("user_joined_room");
        alice.next("user_joined_room");
        for (WsClient c : others.subList(2, 6)) {
            join(c);
        }
        JsonNode diff = alice.next("presence_diff");
        assertThat(users(diff.path("joins"))).containsExactly("d", "e");
        assertThat(diff.path("truncated").asBoolean()).isTrue();
        assertThat(diff.path("count").asInt()).isEqualTo(7);
        alice.send("{\"type\":\"presence\",\"room\":\"big\",\"limit\":1000}");
        assertThat(alice.next("presence").path("members")).as("a truncated diff is repaired by paging").hasSize(7);
    }
}
