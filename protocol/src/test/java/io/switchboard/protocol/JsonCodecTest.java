package io.switchboard.protocol;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonCodecTest {
    private final JsonCodec codec = new JsonCodec();

    private Command decode(String json) throws ProtocolException {
        return codec.decodeCommand(json.getBytes(UTF_8));
    }

    private String encode(ServerMessage m) {
        return new String(codec.encode(m), UTF_8);
    }

    private void assertError(String json, ErrorCode code, String text) {
        assertThatThrownBy(() -> decode(json))
                .isInstanceOfSatisfying(ProtocolException.class, e -> {
                    assertThat(e.code()).isEqualTo(code);
                    assertThat(e.getMessage()).isEqualTo(text);
                });
    }

    @Test
    void decodesEveryCommandWithItsFields() throws Exception {
        assertThat(decode("{\"type\":\"ping\",\"id\":7}")).isEqualTo(new Command.Ping(IntNode.valueOf(7)));
        assertThat(decode("{\"type\":\"join_room\",\"room\":\"chat:1\",\"since\":{\"offset\":4,\"epoch\":\"e1\"}}"))
                .isEqualTo(new Command.JoinRoom(null, "chat:1", new Command.Since(4, "e1")));
        assertThat(decode("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"hi\",\"echo\":true,\"id\":\"a\"}"))
                .isEqualTo(new Command.RoomMessage(TextNode.valueOf("a"), "r", "hi", null, true));
        assertThat(decode("{\"type\":\"private_message\",\"to\":\"bob\",\"content\":\"yo\"}"))
                .isEqualTo(new Command.PrivateMessage(null, "bob", "yo", null));
        assertThat(decode("{\"type\":\"history\",\"room\":\"r\",\"since\":3,\"limit\":10}"))
                .isEqualTo(new Command.History(null, "r", 3L, 10));
        assertThat(decode("{\"type\":\"presence\",\"room\":\"r\"}")).isEqualTo(new Command.Presence(null, "r"));
        assertThat(decode("{\"type\":\"broadcast\",\"content\":\"all\"}"))
                .isEqualTo(new Command.Broadcast(null, "all", null));
        assertThat(decode("{\"type\":\"refresh\",\"token\":\"t\"}")).isEqualTo(new Command.Refresh(null, "t"));
    }

    @Test
    void acceptsTheTutorialAliases() throws Exception {
        assertThat(decode("{\"type\":\"join\",\"room_id\":\"lobby\"}"))
                .isEqualTo(new Command.JoinRoom(null, "lobby", null));
        assertThat(decode("{\"type\":\"leave\",\"room_id\":\"lobby\"}")).isEqualTo(new Command.LeaveRoom(null, "lobby"));
        assertThat(decode("{\"type\":\"broadcast\",\"room_id\":\"lobby\",\"content\":\"x\"}"))
                .isEqualTo(new Command.RoomMessage(null, "lobby", "x", null, false));
    }

    @Test
    void ignoresUnknownFields() throws Exception {
        assertThat(decode("{\"type\":\"ping\",\"extra\":{\"a\":[1,2]}}")).isEqualTo(new Command.Ping(null));
    }

    @Test
    void rejectsBadInputWithTheMatchingCode() {
        assertError("{not json", ErrorCode.INVALID_JSON, "message is not valid JSON");
        assertError("[1,2]", ErrorCode.INVALID_JSON, "message must be a JSON object");
        assertError("{\"a\":1} trailing", ErrorCode.INVALID_JSON, "message is not valid JSON");
        assertError("{\"room\":\"r\"}", ErrorCode.MISSING_TYPE, "command must have a string \"type\"");
        assertError("{\"type\":5}", ErrorCode.MISSING_TYPE, "command must have a string \"type\"");
        assertError("{\"type\":\"dance\"}", ErrorCode.UNKNOWN_TYPE, "unknown command type: dance");
        assertError("{\"type\":\"join_room\"}", ErrorCode.INVALID_FIELD, "room is required");
        assertError("{\"type\":\"join_room\",\"room\":\"a b\"}", ErrorCode.INVALID_FIELD,
                "room must match [A-Za-z0-9_.:@/-]{1,128}");
        assertError("{\"type\":\"join_room\",\"room\":\"" + "r".repeat(129) + "\"}", ErrorCode.INVALID_FIELD,
                "room must match [A-Za-z0-9_.:@/-]{1,128}");
        assertError("{\"type\":\"room_message\",\"room\":\"r\",\"content\":5}", ErrorCode.INVALID_FIELD,
                "content must be a string");
        assertError("{\"type\":\"room_message\",\"room\":\"r\",\"echo\":\"yes\"}", ErrorCode.INVALID_FIELD,
                "echo must be a boolean");
        assertError("{\"type\":\"join_room\",\"room\":\"r\",\"since\":{\"offset\":-1,\"epoch\":\"e\"}}",
                ErrorCode.INVALID_FIELD, "since.offset must be a non-negative integer");
        assertError("{\"type\":\"join_room\",\"room\":\"r\",\"since\":{\"offset\":1.5,\"epoch\":\"e\"}}",
                ErrorCode.INVALID_FIELD, "since.offset must be a non-negative integer");
        // An exponent beyond a BigDecimal's scale (found by JsonCodecFuzzTest) is refused, not thrown.
        assertError("{\"type\":\"join_room\",\"room\":\"r\",\"since\":{\"offset\":3e3333333333,\"epoch\":\"e\"}}",
                ErrorCode.INVALID_FIELD, "since.offset must be a non-negative integer");
        assertError("{\"type\":\"history\",\"room\":\"r\",\"limit\":1e3333333333}",
                ErrorCode.INVALID_FIELD, "limit must be a positive integer");
        assertError("{\"type\":\"join_room\",\"room\":\"r\",\"since\":{\"offset\":1}}",
                ErrorCode.INVALID_FIELD, "since.epoch must be a non-empty string of at most 64 characters");
        assertError("{\"type\":\"private_message\",\"to\":\"b o b\"}", ErrorCode.INVALID_FIELD,
                "to must match [A-Za-z0-9_.:@-]{1,64}");
        assertError("{\"type\":\"history\",\"room\":\"r\",\"limit\":0}", ErrorCode.INVALID_FIELD,
                "limit must be a positive integer");
        assertError("{\"type\":\"ping\",\"id\":{\"x\":1}}", ErrorCode.INVALID_FIELD,
                "id must be a string or number of at most 64 characters");
        assertError("{\"type\":\"ping\",\"id\":\"" + "i".repeat(65) + "\"}", ErrorCode.INVALID_FIELD,
                "id must be a string or number of at most 64 characters");
    }

    @Test
    void aRoomMessageWithNeitherContentNorDataIsRefused() throws Exception {
        assertError("{\"type\":\"room_message\",\"room\":\"r\"}", ErrorCode.INVALID_FIELD,
                "a room message needs content or data");
        assertError("{\"type\":\"room_message\",\"room\":\"r\",\"content\":null,\"data\":null}",
                ErrorCode.INVALID_FIELD, "a room message needs content or data");
        assertError("{\"type\":\"broadcast\",\"room\":\"r\"}", ErrorCode.INVALID_FIELD,
                "a room message needs content or data");
        assertThat(decode("{\"type\":\"room_message\",\"room\":\"r\",\"content\":\"\"}"))
                .isInstanceOf(Command.RoomMessage.class);
        assertThat(decode("{\"type\":\"room_message\",\"room\":\"r\",\"data\":0}"))
                .isInstanceOf(Command.RoomMessage.class);
    }

    @Test
    void anUnknownTypeNamesTheTypeItMostLikelyMeant() {
        assertError("{\"type\":\"join-room\"}", ErrorCode.UNKNOWN_TYPE,
                "unknown command type: join-room (did you mean join_room?)");
        assertError("{\"type\":\"ROOM_MESSAGE\"}", ErrorCode.UNKNOWN_TYPE,
                "unknown command type: ROOM_MESSAGE (did you mean room_message?)");
        assertError("{\"type\":\"privat_mesage\"}", ErrorCode.UNKNOWN_TYPE,
                "unknown command type: privat_mesage (did you mean private_message?)");
        assertError("{\"type\":\"subscribe\"}", ErrorCode.UNKNOWN_TYPE, "unknown command type: subscribe");
        String long40 = "join_room".repeat(5);
        assertError("{\"type\":\"" + long40 + "\"}", ErrorCode.UNKNOWN_TYPE,
                "unknown command type: " + long40.substring(0, 32) + "...");
    }

    @Test
    void errorsCarryTheCommandIdWhenItWasValid() {
        assertThatThrownBy(() -> decode("{\"type\":\"join_room\",\"id\":42}"))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.id()).isEqualTo(IntNode.valueOf(42)));
    }

    @Test
    void numbersKeepTheTextTheyWereSentAsAndStillServeTheNumericFields() throws Exception {
        String data = "{\"a\":1e999999,\"b\":1E2,\"c\":0.1000000000000000000001,\"d\":12345678901234567890123,"
                + "\"e\":[-0,0,-7,2147483648,1.0e-5]}";
        Command.Echo echo = (Command.Echo) decode("{\"type\":\"echo\",\"data\":" + data + "}");
        assertThat(encode(new ServerMessage.EchoReply(null, null, echo.data()))).contains("\"data\":" + data);
        assertThat(echo.data().get("b").doubleValue()).isEqualTo(100.0);
        assertThat(echo.data().get("d").isIntegralNumber()).isTrue();
        assertThat(echo.data().get("e").get(3).longValue()).isEqualTo(2147483648L);
        // Huge exponents are refused by the integer fields' rules, not turned into a value or a long parse.
        assertError("{\"type\":\"join_room\",\"room\":\"r\",\"since\":{\"offset\":1e999999,\"epoch\":\"e\"}}",
                ErrorCode.INVALID_FIELD, "since.offset must be a non-negative integer");
        assertError("{\"type\":\"history\",\"room\":\"r\",\"limit\":99999999999999999999999}",
                ErrorCode.INVALID_FIELD, "limit must be a positive integer");
        assertThat(decode("{\"type\":\"ping\",\"id\":12345678901234567890123}").id().asText())
                .isEqualTo("12345678901234567890123");
    }

    @Test
    void rejectsDeeplyNestedData() {
        String deep = "[".repeat(JsonCodec.MAX_NESTING_DEPTH + 10) + "]".repeat(JsonCodec.MAX_NESTING_DEPTH + 10);
        assertError("{\"type\":\"echo\",\"data\":" + deep + "}", ErrorCode.INVALID_JSON, "message is not valid JSON");
    }

    @Test
    void encodesTypeFirstAndLeavesOutNulls() {
        assertThat(encode(new ServerMessage.Pong(null))).isEqualTo("{\"type\":\"pong\"}");
        assertThat(encode(new ServerMessage.Ack(TextNode.valueOf("x"), 3L)))
                .isEqualTo("{\"type\":\"ack\",\"id\":\"x\",\"offset\":3}");
        assertThat(encode(new ServerMessage.RoomMessage("r", "alice", "c-1", "hi", null, 5, 1000)))
                .isEqualTo("{\"type\":\"room_message\",\"room\":\"r\",\"from\":\"alice\",\"connId\":\"c-1\","
                        + "\"content\":\"hi\",\"offset\":5,\"ts\":1000}");
        assertThat(encode(new ServerMessage.RoomJoined(null, "r", List.of(new ServerMessage.Member("a", "c-1")),
                0, "e", null)))
                .isEqualTo("{\"type\":\"room_joined\",\"room\":\"r\",\"count\":1,"
                        + "\"members\":[{\"userId\":\"a\",\"connId\":\"c-1\"}],\"offset\":0,\"epoch\":\"e\"}");
        assertThat(encode(new ServerMessage.RoomJoined(null, "dash:x", null, null, null, 4, "e", false,
                ServerMessage.RoomJoined.NO_HISTORY)))
                .isEqualTo("{\"type\":\"room_joined\",\"room\":\"dash:x\",\"offset\":4,\"epoch\":\"e\","
                        + "\"recovered\":false,\"reason\":\"no_history\"}");
        assertThat(encode(new ServerMessage.Error(IntNode.valueOf(1), ErrorCode.NOT_IN_ROOM, "not in room r")))
                .isEqualTo("{\"type\":\"error\",\"id\":1,\"code\":\"not_in_room\",\"error\":\"not in room r\"}");
        assertThat(encode(new ServerMessage.Welcome("c-1", "alice", ServerMessage.Welcome.GREETING,
                new ServerMessage.ServerInfo("0.1", "n1", 25000, 65536))))
                .isEqualTo("{\"type\":\"welcome\",\"connId\":\"c-1\",\"userId\":\"alice\","
                        + "\"content\":\"Connected to WebSocket server\",\"server\":{\"version\":\"0.1\",\"node\":\"n1\","
                        + "\"pingIntervalMs\":25000,\"maxMessageBytes\":65536}}");
    }

    @Test
    void encodesCommandsAsAClientSendsThemWithTypeAndIdFirstAndAbsentFieldsLeftOut() {
        JsonCodec codec = new JsonCodec();
        TextNode id = TextNode.valueOf("c1");
        assertThat(codec.encodeCommand(new Command.RoomMessage(id, "r", "hi", null, false)))
                .isEqualTo("{\"type\":\"room_message\",\"id\":\"c1\",\"room\":\"r\",\"content\":\"hi\"}");
        assertThat(codec.encodeCommand(new Command.RoomMessage(id, "r", null, IntNode.valueOf(1), true)))
                .isEqualTo("{\"type\":\"room_message\",\"id\":\"c1\",\"room\":\"r\",\"data\":1,\"echo\":true}");
        assertThat(codec.encodeCommand(new Command.JoinRoom(id, "r", null)))
                .isEqualTo("{\"type\":\"join_room\",\"id\":\"c1\",\"room\":\"r\"}");
        assertThat(codec.encodeCommand(new Command.JoinRoom(id, "r", new Command.Since(6, "e1"))))
                .isEqualTo("{\"type\":\"join_room\",\"id\":\"c1\",\"room\":\"r\",\"since\":{\"offset\":6,\"epoch\":\"e1\"}}");
        assertThat(codec.encodeCommand(new Command.History(id, "r", null, 10)))
                .isEqualTo("{\"type\":\"history\",\"id\":\"c1\",\"room\":\"r\",\"limit\":10}");
        assertThat(codec.encodeCommand(new Command.Ping(null))).isEqualTo("{\"type\":\"ping\"}");
    }

    @Test
    void everyEncodedCommandDecodesToTheSameRecord() throws Exception {
        JsonCodec codec = new JsonCodec();
        TextNode id = TextNode.valueOf("c7");
        for (Command c : List.of(new Command.Ping(id), new Command.Echo(id, "x", IntNode.valueOf(2)),
                new Command.JoinRoom(id, "r", new Command.Since(3, "e")), new Command.JoinRoom(id, "r", null),
                new Command.LeaveRoom(id, "r"), new Command.RoomMessage(id, "r", "hi", null, false),
                new Command.PrivateMessage(id, "bob", "psst", null), new Command.Broadcast(id, null, TextNode.valueOf("d")),
                new Command.Presence(id, "r"), new Command.History(id, "r", 5L, 20), new Command.History(id, "r", null, null),
                new Command.Refresh(id, "token"))) {
            assertThat(codec.decodeCommand(codec.encodeCommand(c).getBytes(UTF_8))).as(c.type()).isEqualTo(c);
        }
    }

    @Test
    void closeCodeTableKnowsEveryCodeOfTheProtocol() {
        for (int code : new int[] {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011, 1012, 1013, 4001, 4003, 4008, 4029}) {
            assertThat(CloseCode.of(code)).as("code %d", code).isNotNull();
            assertThat(CloseCode.of(code).reason().getBytes(UTF_8).length).isLessThanOrEqualTo(123);
        }
        assertThat(CloseCode.of(4999)).isNull();
        assertThat(CloseCode.SERVICE_RESTART.retry()).isEqualTo(CloseCode.Retry.AFTER_HINT);
        assertThat(CloseCode.FORBIDDEN.retry()).isEqualTo(CloseCode.Retry.NEVER);
    }
}
