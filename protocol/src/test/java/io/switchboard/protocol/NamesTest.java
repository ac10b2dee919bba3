package io.switchboard.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hand-written name checks against the rules as the protocol states them, as regular expressions. */
class NamesTest {
    private static final Pattern ROOM = Pattern.compile("[A-Za-z0-9_.:@/-]{1,128}");
    private static final Pattern USER_ID = Pattern.compile("[A-Za-z0-9_.:@-]{1,64}");

    @Test
    void everyCharacterOfTheFirstPlaneIsJudgedAsTheRulesSay() {
        for (int c = 0; c <= 0xFFFF; c++) {
            String one = String.valueOf((char) c);
            String inside = "a" + one + "b";
            assertThat(Names.isValidRoom(one)).as("room %04x", c).isEqualTo(ROOM.matcher(one).matches());
            assertThat(Names.isValidRoom(inside)).as("room a%04xb", c).isEqualTo(ROOM.matcher(inside).matches());
            assertThat(Names.isValidUserId(one)).as("user %04x", c).isEqualTo(USER_ID.matcher(one).matches());
            assertThat(Names.isValidUserId(inside)).as("user a%04xb", c)
                    .isEqualTo(USER_ID.matcher(inside).matches());
        }
    }

    @Test
    void lengthsAtAndPastTheLimits() {
        assertThat(Names.isValidRoom("")).isFalse();
        assertThat(Names.isValidRoom(null)).isFalse();
        assertThat(Names.isValidRoom("r".repeat(128))).isTrue();
        assertThat(Names.isValidRoom("r".repeat(129))).isFalse();
        assertThat(Names.isValidUserId("")).isFalse();
        assertThat(Names.isValidUserId(null)).isFalse();
        assertThat(Names.isValidUserId("u".repeat(64))).isTrue();
        assertThat(Names.isValidUserId("u".repeat(65))).isFalse();
        assertThat(Names.isValidRoom("chat/lobby:1@eu-west_2.x")).isTrue();
        assertThat(Names.isValidUserId("chat/lobby")).as("no slash in a user id").isFalse();
    }
}
