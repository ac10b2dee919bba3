package io.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.testkit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md section 4: bad input is answered with the matching error code and the connection is
 * kept; {@code websocket.maxInvalidMessages} invalid commands in a row close it with 1008.
 */
class InvalidInputTest {
    private static final int MAX_INVALID = 3;

    private SwitchboardServer server;
    private int port;

    @BeforeEach
    void start() {
        var d = TestServers.websocket();
        server = SwitchboardServer.start(TestServers.with(TestServers.ws(d.pingInterval(), d.pongTimeout(),
                d.writeWait(), d.maxFrameBytes(), d.maxMessageBytes(), d.maxQueuedBytes(), d.maxRoomsPerConnection(),
                MAX_INVALID, d.maxConnections())));
        port = server.port();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** Sends {@code json}, expects the error, then proves the connection still works. */
    private static JsonNode errorFor(WsClient c, String json, String code, String text) {
        c.send(json);
        JsonNode e = c.next("error");
        assertThat(e.path("code").asText()).isEqualTo(code);
        assertThat(e.path("error").asText()).isEqualTo(text);
        c.send("{\"type\":\"ping\",\"id\":\"still-there\"}");
        assertThat(c.next("pong").path("id").asText()).isEqualTo("still-there");
        assertThat(c.closeCode).isNotDone();
        return e;
    }

    @Test
    void textThatIsNotJsonIsInvalidJson() {
        try (WsClient c = WsClient.welcomed(port, "alice")) {
            errorFor(c, "hello there", "invalid_json", "message is not valid JSON");
            errorFor(c, "{\"type\":\"ping\"} trailing", "invalid_json", "message is not valid JSON");
        }
    }

    @Test
    void jsonThatIsNotAnObjectIsInvalidJson() {
        try (WsClient c = WsClient.welcomed(port, "alice")) {
            errorFor(c, "[1,2,3]", "invalid_json", "message must be a JSON object");
            errorFor(c, "42", "invalid_json", "message must be a JSON object");
        }
    }

    @Test
    void aCommandWithoutAStringTypeIsMissingTypeAndKeepsItsId() {
        try (WsClient c = WsClient.welcomed(port, "alice")) {
            JsonNode e = errorFor(c, "{\"id\":\"m1\",\"room\":\"r\"}", "missing_type", "command must have a string \"type\"");
            assertThat(e.path("id").asText()).isEqualTo("m1");
            errorFor(c, "{\"type\":7}", "missing_type", "command must have a string \"type\"");
        }
    }

    @Test
    void anUnknownCommandTypeIsUnknownTypeAndTheEchoedNameIsShortened() {
        try (WsClient c = WsClient.welcomed(port, "alice")) {
            JsonNode e = errorFor(c, "{\"type\":\"dance\",\"id\":5}", "unknown_type", "unknown command type: dance");
            assertThat(e.path("id").asInt()).isEqualTo(5);
            String longName = "x".repeat(100);
            errorFor(c, "{\"type\":\"" + longName + "\"}", "unknown_type",
                    "unknown command type: " + "x".repeat(32) + "...");
        }
    }

    @Test
    void fieldsOfTheWrongTypeAreInvalidField() {
        try (WsClient c = WsClient.welcomed(port, "alice")) {
            errorFor(c, "{\"type\":\"join_room\",\"room\":42}", "invalid_field",
                    "room must match [A-Za-z0-9_.:@/-]{1,128}");
            errorFor(c, "{\"type\":\"join_room\"}", "invalid_field", "room is required");
            errorFor(c, "{\"type\":\"join_room\",\"room\":\"has space\"}", "invalid_field",
                    "room must match [A-Za-z0-9_.:@/-]{1,128}");
            errorFor(c, "{\"type\":\"room_message\",\"room\":\"r\",\"content\":{}}", "invalid_field",
                    "content must be a string");
            errorFor(c, "{\"type\":\"room_message\",\"room\":\"r\",\"echo\":\"yes\"}", "invalid_field",
                    "echo must be a boolean");
            errorFor(c, "{\"type\":\"private_message\",\"to\":[\"bob\"]}", "invalid_field",
                    "to must match [A-Za-z0-9_.:@-]{1,64}");
            errorFor(c, "{\"type\":\"history\",\"room\":\"r\",\"limit\":0}", "invalid_field",
                    "limit must be a positive integer");
            errorFor(c, "{\"type\":\"history\",\"room\":\"r\",\"since\":\"1\"}", "invalid_field",
                    "since must be a non-negative integer");
            errorFor(c, "{\"type\":\"join_room\",\"room\":\"r\",\"since\":5}", "invalid_field",
                    "since must be an object {\"offset\":N,\"epoch\":\"E\"}");
            errorFor(c, "{\"type\":\"join_room\",\"room\":\"r\",\"since\":{\"offset\":-1,\"epoch\":\"e\"}}",
                    "invalid_field", "since.offset must be a non-negative integer");
            errorFor(c, "{\"type\":\"join_room\",\"room\":\"r\",\"since\":{\"offset\":1}}", "invalid_field",
                    "since.epoch must be a non-empty string of at most 64 characters");
            errorFor(c, "{\"type\":\"ping\",\"id\":{\"a\":1}}", "invalid_field",
                    "id must be a string or number of at most 64 characters");
        }
    }

    @Test
    void anInvalidFieldErrorCarriesTheCommandId() {
        try (WsClient c = WsClient.welcomed(port, "alice")) {
            JsonNode e = errorFor(c, "{\"type\":\"presence\",\"id\":\"p9\"}", "invalid_field", "room is required");
            assertThat(e.path("id").asText()).isEqualTo("p9");
        }
    }

    @Test
    void maxInvalidMessagesInARowCloseWith1008() {
        try (WsClient c = WsClient.welcomed(port, "alice")) {
            for (int i = 0; i < MAX_INVALID; i++) {
                c.send("not json " + i);
                assertThat(c.next("error").path("code").asText()).isEqualTo("invalid_json");
            }
            assertThat(c.awaitClose()).isEqualTo(1008);
            assertThat(c.closeReason.getNow(null)).isEqualTo("too many invalid messages");
        }
        Await.until("the connection is unregistered", () -> server.hub().connectionCount() == 0);
    }

    @Test
    void aValidCommandResetsTheInvalidStreak() {
        try (WsClient c = WsClient.welcomed(port, "alice")) {
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < MAX_INVALID - 1; i++) {
                    c.send("{\"type\":\"nope\"}");
                    c.next("error");
                }
                c.send("{\"type\":\"ping\"}");
                c.next("pong");
            }
            assertThat(c.closeCode).isNotDone();
        }
    }

    @Test
    void hubErrorsLikeNotInRoomDoNotCountAsInvalidInput() {
        try (WsClient c = WsClient.welcomed(port, "alice")) {
            for (int i = 0; i < MAX_INVALID + 2; i++) {
                c.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"x\"}");
                assertThat(c.next("error").path("code").asText()).isEqualTo("not_in_room");
            }
            c.send("{\"type\":\"ping\"}");
            c.next("pong");
            assertThat(c.closeCode).isNotDone();
        }
    }

    @Test
    void badInputOnOneConnectionDoesNotDisturbAnother() {
        try (WsClient bad = WsClient.welcomed(port, "mallory"); WsClient good = WsClient.welcomed(port, "alice")) {
            good.send("{\"type\":\"join_room\",\"room\":\"r\"}");
            good.next("room_joined");
            for (int i = 0; i < MAX_INVALID; i++) {
                bad.send("\u0000garbage");
            }
            assertThat(bad.awaitClose()).isEqualTo(1008);
            good.send("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"ok\",\"id\":1}");
            assertThat(good.next("ack").path("offset").asLong()).isEqualTo(1);
        }
    }

    @Test
    void anIdLongerThan64CharactersIsInvalidFieldWithoutAnId() {
        try (WsClient c = WsClient.welcomed(port, "alice")) {
            JsonNode e = errorFor(c, "{\"type\":\"ping\",\"id\":\"" + "i".repeat(65) + "\"}", "invalid_field",
                    "id must be a string or number of at most 64 characters");
            assertThat(e.has("id")).isFalse();
            c.send("{\"type\":\"ping\",\"id\":\"" + "i".repeat(64) + "\"}");
            assertThat(c.next("pong").path("id").asText()).hasSize(64);
        }
    }
}
