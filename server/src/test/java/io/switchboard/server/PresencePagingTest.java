package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.core.config.Presence;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Member lists that stay small in large rooms: {@code room_joined} lists at most {@code presence.joinMembersLimit}
 * members and always the count; {@code presence} pages with {@code limit} and {@code cursor}. Real clients, real
 * sockets; the limits are set low so that a few clients make a "large" room.
 */
class PresencePagingTest {
    private static SwitchboardServer server;
    private static int port;
    private final List<WsClient> clients = new ArrayList<>();

    @BeforeAll
    static void start() {
        server = SwitchboardServer.start(TestServers.config().toBuilder()
                .presence(Presence.builder().joinMembersLimit(5).build()).build());
        port = server.port();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @AfterEach
    void closeClients() {
        clients.forEach(WsClient::close);
    }

    private WsClient client(String user) {
        WsClient c = WsClient.welcomed(port, user);
        clients.add(c);
        return c;
    }

    private static JsonNode join(WsClient c, String room) {
        c.send("{\"type\":\"join_room\",\"room\":\"" + room + "\",\"id\":\"j\"}");
        return c.nextOfType("room_joined");
    }

    private static JsonNode presence(WsClient c, String room, String extra) {
        c.send("{\"type\":\"presence\",\"room\":\"" + room + "\",\"id\":\"p\"" + extra + "}");
        JsonNode m = c.nextOfType("presence");
        assertThat(m.path("id").asText()).isEqualTo("p");
        return m;
    }

    private static List<String> users(JsonNode members) {
        List<String> out = new ArrayList<>();
        members.forEach(m -> out.add(m.path("userId").asText()));
        return out;
    }

    @Test
    void roomJoinedCountsEveryoneButListsAtMostTheLimitInMemberOrder() {
        for (int i = 0; i < 4; i++) {
            JsonNode joined = join(client("u" + i), "big");
            assertThat(joined.path("count").asInt()).isEqualTo(i + 1);
            assertThat(joined.path("members")).hasSize(i + 1);
            assertThat(joined.has("membersTruncated")).isFalse();
        }
        join(client("u4"), "big");
        JsonNode sixth = join(client("a-first"), "big");
        assertThat(sixth.path("count").asInt()).isEqualTo(6);
        assertThat(users(sixth.path("members"))).containsExactly("a-first", "u0", "u1", "u2", "u3");
        assertThat(sixth.path("membersTruncated").asBoolean()).isTrue();
    }

    @Test
    void pagesWalkEveryMemberThatStayedExactlyOnceWhileOthersComeAndGo() {
        WsClient reader = client("m00");
        join(reader, "paged");
        for (int i = 1; i < 11; i++) {
            join(client(String.format("m%02d", i)), "paged");
        }
        JsonNode first = presence(reader, "paged", ",\"limit\":4");
        assertThat(first.path("count").asInt()).isEqualTo(11);
        assertThat(users(first.path("members"))).containsExactly("m00", "m01", "m02", "m03");
        String cursor = first.path("cursor").asText();
        assertThat(cursor).isNotEmpty();

        // m02 (already listed) leaves, a-new joins before the cursor, m05b after it.
        clients.get(2).send("{\"type\":\"leave_room\",\"room\":\"paged\"}");
        clients.get(2).nextOfType("room_left");
        join(client("a-new"), "paged");
        join(client("m05b"), "paged");

        JsonNode second = presence(reader, "paged", ",\"limit\":4,\"cursor\":\"" + cursor + "\"");
        assertThat(second.path("count").asInt()).isEqualTo(12);
        assertThat(users(second.path("members"))).containsExactly("m04", "m05", "m05b", "m06");
        JsonNode third = presence(reader, "paged", ",\"limit\":4,\"cursor\":\"" + second.path("cursor").asText() + "\"");
        assertThat(users(third.path("members"))).containsExactly("m07", "m08", "m09", "m10");
        assertThat(third.has("cursor")).as("no page after the last").isFalse();

        JsonNode whole = presence(reader, "paged", "");
        assertThat(whole.path("members")).as("limit defaults to 100").hasSize(12);
        assertThat(whole.has("cursor")).isFalse();
    }

    @Test
    void limitAndCursorAreValidated() {
        WsClient c = client("v");
        join(c, "checked");
        c.send("{\"type\":\"presence\",\"room\":\"checked\",\"limit\":1001,\"id\":1}");
        JsonNode tooMany = c.next("error");
        assertThat(tooMany.path("code").asText()).isEqualTo("invalid_field");
        assertThat(tooMany.path("error").asText()).isEqualTo("limit must be between 1 and 1000");
        c.send("{\"type\":\"presence\",\"room\":\"checked\",\"cursor\":\"not a cursor\",\"id\":2}");
        JsonNode bad = c.next("error");
        assertThat(bad.path("code").asText()).isEqualTo("invalid_field");
        assertThat(bad.path("error").asText()).isEqualTo("cursor is not one a presence reply gave");
        assertThat(presence(c, "checked", ",\"limit\":1000").path("count").asInt()).isEqualTo(1);
    }
}
